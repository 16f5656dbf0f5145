#pragma once
// Writing a spec (the reference's WriteSpec encodings, cdi.md §3.7): YAML starts with "---\n"; JSON is one object.
// Whatever is written parses back (parse.h) to an equal Spec: strings that YAML 1.1 would read as something else
// ("0", "yes", "0644", "1.0") are double-quoted, set-but-zero numbers are kept, `schemata: []` and `intelRdt: {}` are
// kept (they decide the minimum version, §1.3). Field order follows specs-go's struct order.
#include <string>
#include <string_view>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

enum class Format { kYaml, kJson };

std::string serialize(const Spec& spec, Format format);
std::string serialize_yaml(const Spec& spec);  // "---\n" + block YAML
std::string serialize_json(const Spec& spec);  // indented JSON + "\n"

// ".json" -> kJson; anything else -> kYaml (the reference's default encoding).
Format format_for_path(std::string_view path);

}  // namespace gpuhooks::cdi
