#pragma once
// Splitting at and joining with a separator, as Go's strings.Split and strings.Join do: the lists in env values
// ("0,1", "/a:/b"), option values and version strings.
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks {

// "a,,b" -> {"a", "", "b"}; "" -> {""}: every item kept, none trimmed (Go's strings.Split).
inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// {"a", "b"} -> "a<sep>b"; {} -> "". As Go's strings.Join, except that a leading empty item adds no separator.
inline std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace gpuhooks
