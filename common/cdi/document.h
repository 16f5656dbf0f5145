#pragma once
// A CDI spec file before it is typed: the tree both front ends build and the decoder (parse.cpp) reads.
// The reference reads every file as YAML 1.1 (sigs.k8s.io/yaml: yaml.v2 -> JSON -> encoding/json, cdi.md §1.1), so
// JSON and YAML share one tree and one scalar resolver; only the tokenizer differs (hooks load every spec on every
// container start, so each common shape of spec has a fast reader):
//   - strict JSON goes through a small strict scanner of our own (document_json.cpp; it accepts what nlohmann's
//     parser accepted). Quoted strings and numbers map onto the same tree YAML would give, so the result is the same.
//   - block-style YAML as spec generators write it goes through a line-based reader of that subset
//     (document_yaml_block.cpp), which gives up on anything else;
//   - everything else (other YAML, and JSON that is not strict, e.g. unquoted keys) goes through libyaml's event
//     parser (the C parser yaml.v2 was ported from), and through yaml-cpp only when libyaml rejects the text:
//     yaml-cpp then words the error, or reads the text libyaml would not (document_yaml.cpp).
#include <cstdint>
#include <optional>
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

// YAML (1.1 scalars; syntax as libyaml reads it, else as yaml-cpp does); the first document only, as yaml.v2 Unmarshal
// does. Empty input or a document of comments is a null node. Throws Error("yaml: line L, column C: <what>") on a
// syntax error (yaml-cpp's wording and position).
DocNode load_yaml_document(std::string_view data);

// Strict JSON (RFC 8259) through nlohmann's SAX interface; nullopt when the text is not strict JSON.
std::optional<DocNode> load_json_document(std::string_view data);

// JSON fast path when the content is strict JSON, else YAML. The file name plays no part (cdi.md §1.1 rule 1).
DocNode load_document(std::string_view data);

}  // namespace gpuhooks::cdi
