// The block-YAML fast path: the plain, block-style YAML that `nvidia-ctk cdi generate` writes (and gpuhooks' own
// writer, write_yaml.cpp), read straight into DocNode without libyaml's token and event allocations. It is a
// recognizer for a small subset: anything outside it, however valid, returns nullopt and goes to libyaml. What it
// accepts it reads exactly as libyaml does (tests/unit/cdi_document_yaml_block_test.cpp holds the two side by side on
// mutated spec text). Measured on bench/cdi_bench, libyaml was still the largest single cost of loading YAML specs.
//
// The subset, line by line (a line is its indentation in spaces and its content):
//   - an optional first line `---`; no tabs, CRs, comments, non-ASCII or control characters, trailing spaces;
//   - `key: value`, `key:` (a nested block or null) and `- item` / `- key: ...` (a compact mapping at the item's
//     column); a sequence may sit at its key's own indentation (`devices:` then `- name: 0`);
//   - keys are plain words of [A-Za-z0-9_./=+~^@-] (not starting with '-' or '@'), at most 1000 characters
//     (libyaml's simple key limit is 1024); values are one-line plain scalars of a safe character set, or '...' /
//     "..." without quotes or escapes inside;
//   - after a one-line value the next line may not be indented deeper (that would continue a plain scalar).
#include <array>
#include <cstdint>

#include "common/cdi/document_yaml_front_ends.h"

namespace gpuhooks::cdi {
namespace {

struct Line {
  size_t indent;
  std::string_view content;  // after the indentation; never empty
};

// Character classes, looked up per byte (this loop is most of the fast path's time).
enum : uint8_t { kKeyChar = 1, kValueChar = 2, kPlainStart = 4 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  auto set = [&](std::string_view chars, uint8_t bits) {
    for (char c : chars) t[static_cast<uint8_t>(c)] |= bits;
  };
  constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  set(kAlnum, kKeyChar | kValueChar | kPlainStart);
  set("_./=+~^", kKeyChar | kValueChar | kPlainStart);
  set("@-", kKeyChar | kValueChar);  // '@' is reserved and '-' an entry indicator at the start
  set(":,%", kValueChar);  // inside a plain value only: never an indicator there in block context
  return t;
}();
bool has_class(char c, uint8_t bits) { return (kCharClass[static_cast<uint8_t>(c)] & bits) != 0; }
bool is_key_char(char c) { return has_class(c, kKeyChar); }
bool is_value_char(char c) { return has_class(c, kValueChar); }
bool is_null_spelling(std::string_view v) { return v == "~" || v == "null" || v == "Null" || v == "NULL"; }

// Splits the text into non-empty lines; false when the text uses anything outside the subset's character rules.
bool split_lines(std::string_view data, std::vector<Line>& lines) {
  size_t pos = 0;
  bool first = true;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string_view::npos) end = data.size();
    std::string_view raw = data.substr(pos, end - pos);
    pos = end + 1;
    for (char c : raw) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7F || c == '#') return false;
    }
    if (raw.empty()) continue;
    if (raw.back() == ' ') return false;
    if (first && raw == "---") {
      first = false;
      continue;
    }
    first = false;
    size_t indent = raw.find_first_not_of(' ');
    lines.push_back({indent, raw.substr(indent)});
  }
  return true;
}

DocNode scalar_node(std::string_view text, bool plain) {
  DocNode n;
  if (plain && is_null_spelling(text)) return n;
  n.kind = DocNode::Kind::kScalar;
  n.plain = plain;
  n.text.assign(text);
  return n;
}

// A one-line value: '...' or "..." with nothing to unquote, or a plain scalar of safe characters in which ':' and ' '
// are always followed by another character of the value (": " would start a mapping, a trailing ':' too).
bool read_value(std::string_view v, DocNode& out) {
  char q = v[0];
  if (q == '"' || q == '\'') {
    if (v.size() < 2 || v.back() != q) return false;
    std::string_view inner = v.substr(1, v.size() - 2);
    if (inner.find(q) != std::string_view::npos || (q == '"' && inner.find('\\') != std::string_view::npos))
      return false;
    out = scalar_node(inner, false);
    return true;
  }
  if (!(has_class(q, kPlainStart) || (q == '-' && v.size() > 1 && is_value_char(v[1]) && v[1] != ':'))) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == ' ' || c == ':') {
      if (i + 1 == v.size() || v[i + 1] == ' ') return false;
    } else if (!is_value_char(c)) {
      return false;
    }
  }
  out = scalar_node(v, true);
  return true;
}

// The length of `key` in "key:" or "key: ...", or 0 when the content does not start with a plain key.
size_t key_length(std::string_view content) {
  if (!has_class(content[0], kPlainStart)) return 0;
  size_t n = 0;
  while (n < content.size() && is_key_char(content[n])) ++n;
  if (n > 1000 || n == content.size() || content[n] != ':') return 0;
  if (n + 1 < content.size() && content[n + 1] != ' ') return 0;
  return n;
}

bool is_entry(std::string_view content) { return content.size() >= 2 && content[0] == '-' && content[1] == ' '; }

class BlockParser {
 public:
  explicit BlockParser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  bool document(DocNode& root) {
    if (lines_.empty() || lines_[0].indent != 0) return false;
    bool ok = is_entry(lines_[0].content) ? sequence(0, root) : mapping(0, root);
    return ok && next_ == lines_.size();
  }

 private:
  bool mapping(size_t indent, DocNode& out) {
    out.kind = DocNode::Kind::kMapping;
    while (next_ < lines_.size() && lines_[next_].indent >= indent) {
      const Line& line = lines_[next_];
      if (line.indent > indent) return false;
      size_t key = key_length(line.content);
      if (key == 0) return false;
      out.items.push_back(scalar_node(line.content.substr(0, key), true));
      std::string_view rest = line.content.substr(key + 1);
      ++next_;
      DocNode& value = out.items.emplace_back();
      if (rest.empty()) {
        if (!block_value(indent, value)) return false;
      } else {
        size_t start = rest.find_first_not_of(' ');
        if (!read_value(rest.substr(start), value) || deeper_line_follows(indent)) return false;
      }
    }
    return true;
  }

  bool sequence(size_t indent, DocNode& out) {
    out.kind = DocNode::Kind::kSequence;
    while (next_ < lines_.size() && lines_[next_].indent >= indent) {
      Line& line = lines_[next_];
      if (line.indent > indent) return false;
      if (!is_entry(line.content)) break;  // the next key after a sequence at its key's indentation
      size_t start = line.content.find_first_not_of(' ', 1);
      std::string_view item = line.content.substr(start);
      DocNode& node = out.items.emplace_back();
      if (key_length(item) != 0) {
        // A compact mapping: its first key sits on the entry's line, at the item's column.
        line = Line{indent + start, item};
        if (!mapping(indent + start, node)) return false;
      } else {
        ++next_;
        if (!read_value(item, node) || deeper_line_follows(indent)) return false;
      }
    }
    return true;
  }

  // The value of `key:` at `indent`: a deeper block, a sequence at the key's own indentation, or an empty node.
  bool block_value(size_t indent, DocNode& out) {
    if (next_ == lines_.size()) return true;
    const Line& line = lines_[next_];
    if (line.indent > indent) return is_entry(line.content) ? sequence(line.indent, out) : mapping(line.indent, out);
    if (line.indent == indent && is_entry(line.content)) return sequence(indent, out);
    return true;
  }

  bool deeper_line_follows(size_t indent) const { return next_ < lines_.size() && lines_[next_].indent > indent; }

  std::vector<Line> lines_;
  size_t next_ = 0;
};

}  // namespace

std::optional<DocNode> load_block_yaml_subset(std::string_view data) {
  std::vector<Line> lines;
  lines.reserve(data.size() / 24);  // spec lines average 25-40 characters
  if (!split_lines(data, lines)) return std::nullopt;
  DocNode root;
  if (!BlockParser(std::move(lines)).document(root)) return std::nullopt;
  return root;
}

}  // namespace gpuhooks::cdi
