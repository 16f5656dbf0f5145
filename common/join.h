#pragma once
// Joining strings with a separator, for env values ("0,1", "/a:/b") and messages.
#include <string>
#include <vector>

namespace gpuhooks::cdi {

// {"a", "b"} -> "a<sep>b"; {} -> "". As Go's strings.Join, except that a leading empty item adds no separator.
inline std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace gpuhooks::cdi
