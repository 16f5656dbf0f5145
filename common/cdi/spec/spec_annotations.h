#pragma once
// Kubernetes annotation rules for the `annotations` of a spec and its devices (cdi.md §2.4). The reference's loader
// does not apply them (its check never sees a map[string]string); only its `validate` command does, through the
// JSON schema. So here too: the registry ignores them and `gpuhooks cdi validate` reports them.
#include <vector>

#include "common/cdi/spec/spec.h"
#include "common/cdi/spec/validate.h"

namespace gpuhooks::cdi {

// Each key, lower-cased: `[prefix "/"] name`; prefix a DNS subdomain of at most 253 characters, name at most 63
// characters of [A-Za-z0-9-_.] starting and ending alphanumeric; keys plus values at most 256 KiB per map.
std::vector<SpecProblem> annotation_problems(const Spec& spec);

}  // namespace gpuhooks::cdi
