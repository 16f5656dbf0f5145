#pragma once
// A CDI spec file before it is typed: the tree the reader builds and the decoder (parse.cpp) reads.
// The reference reads every file, JSON included, as YAML 1.1 (sigs.k8s.io/yaml: yaml.v2 -> JSON -> encoding/json,
// cdi.md §1.1); so does this reader, with libyaml, the C parser yaml.v2 was ported from. JSON is read as the YAML
// flow style it is: a quoted string is a quoted scalar, a number, `true` or `null` a plain one, resolved later by the
// YAML 1.1 scalar rules (yaml_scalar.h) as the reference resolves them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks::cdi {

struct DocNode {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMapping };
  Kind kind = Kind::kNull;
  // A plain (unquoted, untagged) scalar is resolved by YAML 1.1 rules (yaml_scalar.h): `0644` is an int, `yes` a bool.
  // Quoted scalars and `!!str` are strings as written.
  bool plain = false;
  std::string text;
  // Sequence: the items. Mapping: key, value, key, value... in document order, duplicates kept (the decoder rejects
  // them: yaml.v2 strict mode).
  std::vector<DocNode> items;

  bool operator==(const DocNode&) const = default;
};

// The first document of YAML (or JSON) text, as yaml.v2 Unmarshal reads it. Empty input or a document of comments is
// a null node. Throws Error("yaml: line L, column C: <libyaml's problem>[ (<its context> at line L, column C)]") on a
// syntax error, and on an alias to an anchor that is not defined or whose node contains the alias.
DocNode load_document(std::string_view data);

}  // namespace gpuhooks::cdi
