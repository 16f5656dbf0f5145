#pragma once
// TOML engine configs (containerd's config.toml, CRI-O's crio.conf and drop-ins) read and written with toml++.
// toml++ keeps no comments, so a rewritten file loses them: has_comments() lets the command say so.
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/config/toml_include.h"  // toml++, with a fix for its undefined behaviour

namespace gpuhooks::cli {

// A parsed file and what the rewrite needs to know about its source.
struct TomlFile {
  std::string path;
  toml::table table;
  bool existed = false;  // the file exists (an empty one included)
  bool had_comments = false;
};

// Reads `path`: a missing or blank file is an empty table. A syntax error is an Error naming the file and line.
TomlFile read_toml_file(const std::string& path);

// The table as TOML text, ending in a newline.
std::string toml_text(const toml::table& table);

// True when the text holds a comment (a '#' outside any string).
bool has_comments(std::string_view text);

// The table at `keys` below `root`, or nullptr when a key is missing. A key that holds something other than a table
// is an Error naming `file` and the dotted key.
const toml::table* find_table(const toml::table& root, std::initializer_list<std::string_view> keys,
                              const std::string& file);
// The same, creating missing tables.
toml::table& ensure_table(toml::table& root, std::initializer_list<std::string_view> keys, const std::string& file);

// The string at `key` of `table`, or "" when absent or not a string.
std::string string_at(const toml::table* table, std::string_view key);

}  // namespace gpuhooks::cli
