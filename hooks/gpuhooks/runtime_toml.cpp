#include "runtime_toml.h"

#include <sstream>

#include "common/error.h"
#include "runtime_file.h"

namespace gpuhooks::cli {
namespace {

std::string dotted(std::initializer_list<std::string_view> keys, size_t upto) {
  std::string out;
  size_t i = 0;
  for (std::string_view k : keys) {
    if (i++ > upto) break;
    if (!out.empty()) out += '.';
    // A key with a dot (a containerd plugin name) is quoted, as TOML writes it.
    out += k.find('.') == std::string_view::npos ? std::string(k) : '"' + std::string(k) + '"';
  }
  return out;
}

}  // namespace

TomlFile read_toml_file(const std::string& path) {
  TomlFile f{path, {}, false, false};
  std::optional<std::string> text = read_config_text(path);
  if (!text) return f;
  f.existed = true;
  if (is_blank(*text)) return f;
  try {
    f.table = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    throw Error("cannot parse " + path + " at line " + std::to_string(e.source().begin.line) + ": " +
                std::string(e.description()));
  }
  f.had_comments = has_comments(*text);
  return f;
}

std::string toml_text(const toml::table& table) {
  std::ostringstream out;
  out << table << "\n";
  return out.str();
}

bool has_comments(std::string_view text) {
  // The string forms of TOML: "basic" (backslash escapes), 'literal', and their """/''' multi-line kinds.
  enum { kNone, kBasic, kLiteral, kMultiBasic, kMultiLiteral } in = kNone;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool triple = i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c;
    switch (in) {
      case kNone:
        if (c == '#') return true;
        if (c == '"') in = triple ? kMultiBasic : kBasic;
        if (c == '\'') in = triple ? kMultiLiteral : kLiteral;
        if (triple && (c == '"' || c == '\'')) i += 2;
        break;
      case kBasic:
        if (c == '\\') ++i;
        else if (c == '"' || c == '\n') in = kNone;
        break;
      case kLiteral:
        if (c == '\'' || c == '\n') in = kNone;
        break;
      case kMultiBasic:
        if (c == '\\') ++i;
        else if (c == '"' && triple) in = kNone, i += 2;
        break;
      case kMultiLiteral:
        if (c == '\'' && triple) in = kNone, i += 2;
        break;
    }
  }
  return false;
}

const toml::table* find_table(const toml::table& root, std::initializer_list<std::string_view> keys,
                              const std::string& file) {
  const toml::table* t = &root;
  size_t i = 0;
  for (std::string_view k : keys) {
    const toml::node* n = t->get(k);
    if (!n) return nullptr;
    t = n->as_table();
    if (!t) throw Error(file + ": " + dotted(keys, i) + " is not a table");
    ++i;
  }
  return t;
}

toml::table& ensure_table(toml::table& root, std::initializer_list<std::string_view> keys, const std::string& file) {
  toml::table* t = &root;
  size_t i = 0;
  for (std::string_view k : keys) {
    toml::node* n = t->get(k);
    if (!n) n = &t->insert_or_assign(k, toml::table{}).first->second;
    t = n->as_table();
    if (!t) throw Error(file + ": " + dotted(keys, i) + " is not a table");
    ++i;
  }
  return *t;
}

std::string string_at(const toml::table* table, std::string_view key) {
  if (!table) return "";
  return table->get(key) && table->get(key)->is_string() ? table->get(key)->as_string()->get() : "";
}

}  // namespace gpuhooks::cli
