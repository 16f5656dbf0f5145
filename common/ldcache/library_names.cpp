#include "common/ldcache/library_names.h"

#include <array>
#include <cstdint>

namespace gpuhooks::ldcache {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The digit run at `s[i]` as glibc's int accumulates it (wrapping), advancing i past it.
uint32_t take_number(std::string_view s, size_t& i) {
  uint32_t value = 0;
  while (i < s.size() && is_digit(s[i])) value = value * 10u + static_cast<uint32_t>(s[i++] - '0');
  return value;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int compare_library_names(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  // glibc walks NUL-terminated strings: the end of a string reads as '\0'.
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size()) {
    const char ca = a[i], cb = at(b, j);
    if (is_digit(ca)) {
      if (!is_digit(cb)) return 1;
      const uint32_t va = take_number(a, i), vb = take_number(b, j);
      if (va != vb) {
        const int32_t diff = static_cast<int32_t>(va - vb);  // glibc returns val1 - val2 in an int
        return diff;
      }
    } else if (is_digit(cb)) {
      return -1;
    } else if (ca != cb) {
      return static_cast<signed char>(ca) - static_cast<signed char>(cb);
    } else {
      ++i;
      ++j;
    }
  }
  return 0 - static_cast<signed char>(at(b, j));
}

bool is_library_name(std::string_view name) {
  const bool dso = ((name.substr(0, 3) == "lib" || name.substr(0, 3) == "ld-") && name.find(".so") != name.npos) ||
                   name.substr(0, 6) == "ld.so." || name.substr(0, 8) == "ld64.so.";
  if (!dso || ends_with(name, ".#prelink#")) return false;
  constexpr std::string_view kPrelinkTemp = ".#prelink#.";
  return !(name.size() >= kPrelinkTemp.size() + 6 &&
           name.substr(name.size() - kPrelinkTemp.size() - 6, kPrelinkTemp.size()) == kPrelinkTemp);
}

bool is_hwcap_dir_name(std::string_view name) {
  // sysdeps/x86/dl-hwcap.h (hwcap names), dl-procinfo.c (platforms), TLS_SUBPATH, and the glibc-hwcaps root. A
  // superset of what a 64-bit ldconfig acts on: a name too many only sends that folder to ldconfig.
  static constexpr std::array<std::string_view, 9> kNames = {"tls",  "x86_64",  "avx512_1", "sse2",        "i586",
                                                             "i686", "haswell", "xeon_phi", "glibc-hwcaps"};
  for (auto n : kNames)
    if (name == n) return true;
  return false;
}

}  // namespace gpuhooks::ldcache
