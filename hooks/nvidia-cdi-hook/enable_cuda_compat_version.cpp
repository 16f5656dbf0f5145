#include "enable_cuda_compat_version.h"

#include <algorithm>
#include <regex>

#include "common/split_join.h"

namespace gpuhooks::cdihook {
namespace {

bool numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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
      if (auto c = std::stoull(pa[i]) <=> std::stoull(pb[i]); c != 0) return c;
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
  static const std::regex lenient(
      R"(^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$)");
  std::smatch m;
  if (!std::regex_match(text, m, lenient)) return std::nullopt;
  Version v;
  try {
    v.major = std::stoull(m[1].str());
    if (m[2].matched) v.minor = std::stoull(m[2].str().substr(1));
    if (m[3].matched) v.patch = std::stoull(m[3].str().substr(1));
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
  v.prerelease = m[5].str();
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
