#pragma once
// What the reference checks whenever it loads a spec (cdi.md §1.2, §2, §1.5, §3.3): version first, then kind's
// vendor and class, the spec-level edits, each device (name, non-empty edits, edits), duplicate names, no devices.
// The reference stops at the first problem; this collects every one, in the reference's order, so that
// `gpuhooks cdi validate` can list them all. The message of each is the reference's text; the field path says where.
// Annotation keys are not checked: the reference's loader does not either (§2.4).
#include <string>
#include <string_view>
#include <vector>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

struct SpecProblem {
  std::string field;    // "cdiVersion", "kind", "devices[0].containerEdits.env[1]", "devices"...
  std::string message;  // `invalid environment variable "FOO"`...
  bool operator==(const SpecProblem&) const = default;
};

std::vector<SpecProblem> spec_problems(const Spec& spec);

// ContainerEdits.Validate (env, deviceNodes, hooks, mounts, intelRdt, netDevices); `field` prefixes the paths.
void collect_edits_problems(const ContainerEdits& edits, const std::string& field, std::vector<SpecProblem>& out);

// `invalid CDI Spec "<source>": <field>: <message>`; an empty source drops the quoted name.
std::string describe_problem(std::string_view source, const SpecProblem& problem);

// Throws Error(describe_problem(source, first problem)) when the spec is invalid.
void validate_spec(const Spec& spec, std::string_view source = {});

}  // namespace gpuhooks::cdi
