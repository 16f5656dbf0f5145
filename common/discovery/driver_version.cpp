#include "common/discovery/driver_version.h"

#include <fstream>
#include <sstream>

namespace gpuhooks::discovery {

bool is_version_string(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char prev = '.';
  for (char c : text) {
    if (c == '.' && prev == '.') return false;
    if (c != '.' && (c < '0' || c > '9')) return false;
    prev = c;
  }
  return true;
}

std::optional<std::string> read_proc_version_file(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return std::nullopt;
  std::string text(4096, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  return text;
}

std::optional<std::string> parse_proc_version(std::string_view text) {
  size_t line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  if (line.substr(0, 13) != "NVRM version:") return std::nullopt;
  size_t module = line.find("Kernel Module");
  if (module == std::string_view::npos) return std::nullopt;
  std::istringstream words(std::string(line.substr(module + 13)));
  std::string word;
  while (words >> word) {
    if (is_version_string(word) && word.find('.') != std::string::npos) return word;
  }
  return std::nullopt;
}

std::optional<std::string> version_from_library_name(std::string_view file_name, std::string_view stem) {
  if (file_name.size() <= stem.size() + 1 || file_name.substr(0, stem.size()) != stem ||
      file_name[stem.size()] != '.') {
    return std::nullopt;
  }
  std::string_view suffix = file_name.substr(stem.size() + 1);
  if (!is_version_string(suffix) || suffix.find('.') == std::string_view::npos) return std::nullopt;
  return std::string(suffix);
}

std::string cuda_version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace gpuhooks::discovery
