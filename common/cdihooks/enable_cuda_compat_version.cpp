#include "common/cdihooks/enable_cuda_compat_version.h"

#include <algorithm>
#include <string_view>

#include "common/split_join.h"

namespace gpuhooks::cdihook {
namespace {

// Versions come from flags, file names and the note inside an image's libcuda. A real one is a dozen characters; the
// bound keeps a hostile one (a 1 MB "CUDA Version") cheap. (std::regex matched it recursively and overflowed the
// stack.)
constexpr size_t kMaxVersionLength = 256;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }

bool numeric(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// Numeric identifiers compared as numbers of any length (no stoull: a 30-digit identifier must not throw).
std::strong_ordering compare_numeric(const std::string& a, const std::string& b) {
  const auto sa = a.find_first_not_of('0'), sb = b.find_first_not_of('0');
  const std::string_view da = sa == std::string::npos ? "" : std::string_view(a).substr(sa);
  const std::string_view db = sb == std::string::npos ? "" : std::string_view(b).substr(sb);
  if (auto c = da.size() <=> db.size(); c != 0) return c;
  return da.compare(db) <=> 0;
}

// A reader over the text for the lenient grammar:
//   v? N (.N)? (.N)? (-ID(.ID)*)? (+ID(.ID)*)?   N = [0-9]+, ID = [0-9A-Za-z-]+
struct Scanner {
  const std::string& t;
  size_t i = 0;
  bool eat(char c) {
    if (i < t.size() && t[i] == c) return ++i, true;
    return false;
  }
  // Digits into `out`; false when there are none or the value does not fit.
  bool number(unsigned long long& out) {
    const size_t start = i;
    out = 0;
    for (; i < t.size() && is_digit(t[i]); ++i) {
      const unsigned d = static_cast<unsigned>(t[i] - '0');
      if (out > (~0ULL - d) / 10) return false;
      out = out * 10 + d;
    }
    return i > start;
  }
  // Dot-separated non-empty identifiers; false on an empty one.
  bool identifiers(std::string& out) {
    const size_t start = i;
    for (;;) {
      const size_t part = i;
      while (i < t.size() && is_ident_char(t[i])) ++i;
      if (i == part) return false;
      if (!eat('.')) break;
    }
    out = t.substr(start, i - start);
    return true;
  }
};

// semver §11: numeric identifiers compare as numbers and sort before alphanumeric ones; a shorter list of equal
// identifiers sorts first.
std::strong_ordering compare_prerelease(const std::string& a, const std::string& b) {
  if (a == b) return std::strong_ordering::equal;
  if (a.empty()) return std::strong_ordering::greater;  // a release is newer than any of its prereleases
  if (b.empty()) return std::strong_ordering::less;
  auto pa = split(a, '.'), pb = split(b, '.');
  for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    const bool na = numeric(pa[i]), nb = numeric(pb[i]);
    if (na && nb) {
      if (auto c = compare_numeric(pa[i], pb[i]); c != 0) return c;
    } else if (na != nb) {
      return na ? std::strong_ordering::less : std::strong_ordering::greater;
    } else if (auto c = pa[i].compare(pb[i]) <=> 0; c != 0) {
      return c;
    }
  }
  return pa.size() <=> pb.size();
}

}  // namespace

std::optional<Version> Version::parse(const std::string& text) {
  if (text.size() > kMaxVersionLength) return std::nullopt;
  Scanner in{text};
  Version v;
  in.eat('v');
  if (!in.number(v.major)) return std::nullopt;
  if (in.eat('.') && !in.number(v.minor)) return std::nullopt;
  if (in.eat('.') && !in.number(v.patch)) return std::nullopt;
  if (in.eat('-') && !in.identifiers(v.prerelease)) return std::nullopt;
  std::string build;
  if (in.eat('+') && !in.identifiers(build)) return std::nullopt;
  if (in.i != text.size()) return std::nullopt;
  return v;
}

std::strong_ordering Version::operator<=>(const Version& o) const {
  if (auto c = major <=> o.major; c != 0) return c;
  if (auto c = minor <=> o.minor; c != 0) return c;
  if (auto c = patch <=> o.patch; c != 0) return c;
  return compare_prerelease(prerelease, o.prerelease);
}

bool use_compat_libraries(const CompatInputs& in) {
  if (in.note) {
    if (!in.compat_driver || !in.host_driver) {
      if (!in.host_cuda) return false;
      auto note_cuda = Version::parse(in.note->cuda_version);
      return note_cuda && *note_cuda > *in.host_cuda;
    }
    const auto& majors = in.note->driver_majors;
    const bool supported = std::any_of(majors.begin(), majors.end(), [&](long m) {
      return m >= 0 && static_cast<unsigned long long>(m) == in.host_driver->major;
    });
    return supported && *in.compat_driver > *in.host_driver;
  }
  if (in.host_cuda) return false;
  if (!in.compat_driver || !in.host_driver) return false;
  return in.host_driver->major < in.compat_driver->major;
}

}  // namespace gpuhooks::cdihook
