#pragma once
// The YAML front ends behind load_yaml_document (document.h), tried in this order, declared apart so that tests can
// hold one against another. All build the same DocNode tree from the same text.
#include <optional>
#include <string_view>

#include "common/cdi/document.h"

namespace gpuhooks::cdi {

// The block-style subset that spec generators write (document_yaml_block.cpp); nullopt for anything outside it.
std::optional<DocNode> load_block_yaml_subset(std::string_view data);

// libyaml's event parser (document_yaml.cpp): everything else. nullopt whenever libyaml rejects the text, or the text
// uses an alias that yaml-cpp would reject; the caller then asks yaml-cpp, which words the error (or accepts the text).
std::optional<DocNode> load_yaml_with_libyaml(std::string_view data);

// yaml-cpp's event parser (document_yaml_cpp.cpp). Throws Error("yaml: line L, column C: <what>").
DocNode load_yaml_with_yaml_cpp(std::string_view data);

}  // namespace gpuhooks::cdi
