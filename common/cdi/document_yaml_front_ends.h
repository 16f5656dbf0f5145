#pragma once
// The two YAML front ends behind load_yaml_document (document.h), declared apart so that tests can hold one against
// the other. Both build the same DocNode tree from the same text.
#include <optional>
#include <string_view>

#include "common/cdi/document.h"

namespace gpuhooks::cdi {

// libyaml's event parser (document_yaml.cpp): the fast path. nullopt whenever libyaml rejects the text, or the text
// uses an alias that yaml-cpp would reject; the caller then asks yaml-cpp, which words the error (or accepts the text).
std::optional<DocNode> load_yaml_with_libyaml(std::string_view data);

// yaml-cpp's event parser (document_yaml_cpp.cpp). Throws Error("yaml: line L, column C: <what>").
DocNode load_yaml_with_yaml_cpp(std::string_view data);

}  // namespace gpuhooks::cdi
