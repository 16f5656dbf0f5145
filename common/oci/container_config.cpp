#include "common/oci/container_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/oci/json_file.h"
#include "common/split_join.h"
#include "common/unique_fd.h"

namespace gpuhooks::oci {
namespace {

using nlohmann::json;

// Runtimes write a few KiB; the bound keeps a hostile or broken bundle from making the hook read without end.

// A type problem, worded as the reference's "could not decode OCI spec" panic; parse_container_config adds the source.
[[noreturn]] void decode_error(const std::string& what) { throw Error("could not decode OCI spec: " + what); }

// JSON null reads as absent, as Go's decoder leaves a field at its zero value for null.
const json* field(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string string_of(const json* j, const std::string& what) {
  if (j == nullptr) return {};
  if (!j->is_string()) decode_error(what + " is not a string");
  return j->get<std::string>();
}

std::vector<std::string> strings_of(const json* j, const std::string& what) {
  std::vector<std::string> out;
  if (j == nullptr) return out;
  if (!j->is_array()) decode_error(what + " is not an array of strings");
  for (size_t i = 0; i < j->size(); ++i) out.push_back(string_of(&(*j)[i], what + "[" + std::to_string(i) + "]"));
  return out;
}

const json& object_of(const json& j, const std::string& what) {
  if (!j.is_object()) decode_error(what + " is not an object");
  return j;
}

// golang.org/x/mod/semver, which the reference uses on "v" + ociVersion: MAJOR[.MINOR[.PATCH[-PRE][+BUILD]]], no
// leading zeros; the short forms take no suffix. Numbers stay strings so that no value can overflow.
struct GoSemver {
  std::string major, minor = "0", patch = "0";
  std::vector<std::string> prerelease;
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool is_number(std::string_view s) { return all_digits(s) && (s.size() == 1 || s[0] != '0'); }

std::optional<GoSemver> parse_go_semver(std::string_view v) {
  GoSemver out;
  size_t suffix = v.find_first_of("-+");
  auto numbers = split(v.substr(0, suffix), '.');
  if (numbers.size() > 3 || (suffix != std::string_view::npos && numbers.size() != 3)) return std::nullopt;
  for (const auto& n : numbers)
    if (!is_number(n)) return std::nullopt;
  out.major = numbers[0];
  if (numbers.size() > 1) out.minor = numbers[1];
  if (numbers.size() > 2) out.patch = numbers[2];
  if (suffix == std::string_view::npos) return out;
  std::string_view rest = v.substr(suffix);
  size_t plus = rest.find('+');
  auto valid_ids = [](std::string_view s, bool pre) {
    for (const auto& id : split(s, '.')) {
      if (id.empty() || (pre && all_digits(id) && !is_number(id))) return false;
      for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    return true;
  };
  if (plus != std::string_view::npos && !valid_ids(rest.substr(plus + 1), false)) return std::nullopt;
  if (rest[0] == '-') {
    std::string_view pre = rest.substr(1, plus == std::string_view::npos ? plus : plus - 1);
    if (!valid_ids(pre, true)) return std::nullopt;
    out.prerelease = split(pre, '.');
  }
  return out;
}

int compare_numbers(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

// semver.Compare: numeric identifiers below alphanumeric ones, a release above its prereleases.
int compare_go_semver(const GoSemver& x, const GoSemver& y) {
  for (auto [a, b] : {std::pair{&x.major, &y.major}, {&x.minor, &y.minor}, {&x.patch, &y.patch}})
    if (int c = compare_numbers(*a, *b)) return c;
  if (x.prerelease.empty() || y.prerelease.empty()) return x.prerelease.empty() - y.prerelease.empty();
  for (size_t i = 0; i < x.prerelease.size() && i < y.prerelease.size(); ++i) {
    const auto &a = x.prerelease[i], &b = y.prerelease[i];
    if (a == b) continue;
    bool na = all_digits(a), nb = all_digits(b);
    if (na != nb) return na ? -1 : 1;
    if (na) return compare_numbers(a, b);
    return a < b ? -1 : 1;
  }
  return x.prerelease.size() == y.prerelease.size() ? 0 : x.prerelease.size() < y.prerelease.size() ? -1 : 1;
}

// The runtime-spec changed process.capabilities from a list to {bounding, effective, ...} in 1.0.0-rc5; the
// reference reads the list form for [1.0.0-rc1, 1.0.0-rc5) and the object form otherwise, an invalid version included.
bool capabilities_are_a_list(const std::string& oci_version) {
  auto v = parse_go_semver(oci_version);
  if (!v) return false;
  return compare_go_semver(*v, *parse_go_semver("1.0.0-rc1")) >= 0 &&
         compare_go_semver(*v, *parse_go_semver("1.0.0-rc5")) < 0;
}

std::vector<std::string> bounding_capabilities(const json* caps, const std::string& oci_version) {
  if (caps == nullptr) return {};
  if (capabilities_are_a_list(oci_version)) return strings_of(caps, "process.capabilities");
  return strings_of(field(object_of(*caps, "process.capabilities"), "bounding"), "process.capabilities.bounding");
}

std::map<std::string, std::string> parse_env(const json* env) {
  std::map<std::string, std::string> out;
  for (const auto& entry : strings_of(env, "process.env")) {
    size_t eq = entry.find('=');
    // The reference panics on such an entry (Go's SplitN gives one part), failing the container start.
    if (eq == std::string::npos) throw Error("invalid environment variable " + quote(entry) + " (no '=')");
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::vector<ConfigMount> parse_mounts(const json* mounts) {
  std::vector<ConfigMount> out;
  if (mounts == nullptr) return out;
  if (!mounts->is_array()) decode_error("mounts is not an array");
  for (size_t i = 0; i < mounts->size(); ++i) {
    std::string what = "mounts[" + std::to_string(i) + "]";
    const json& m = object_of((*mounts)[i], what);
    out.push_back({string_of(field(m, "destination"), what + ".destination"),
                   string_of(field(m, "source"), what + ".source"), string_of(field(m, "type"), what + ".type"),
                   strings_of(field(m, "options"), what + ".options")});
  }
  return out;
}

// Only the string map of the runtime-spec; a key is quoted in the error, as a user wrote it.
std::map<std::string, std::string> parse_annotations(const json* annotations) {
  std::map<std::string, std::string> out;
  if (annotations == nullptr) return out;
  for (const auto& [key, value] : object_of(*annotations, "annotations").items())
    out[key] = string_of(value.is_null() ? nullptr : &value, "annotations[" + quote(key) + "]");
  return out;
}

ContainerConfig parse_document(const json& j) {
  object_of(j, "the document");
  ContainerConfig c;
  const json* version = field(j, "ociVersion");
  const json* process = field(j, "process");
  const json* root = field(j, "root");
  // The reference's wording and order (loadSpec).
  if (version == nullptr) throw Error("Version is empty in OCI spec");
  if (process == nullptr) throw Error("Process is empty in OCI spec");
  if (root == nullptr) throw Error("Root is empty in OCI spec");
  c.oci_version = string_of(version, "ociVersion");
  object_of(*process, "process");
  c.env = parse_env(field(*process, "env"));
  c.bounding_capabilities = bounding_capabilities(field(*process, "capabilities"), c.oci_version);
  object_of(*root, "root");
  c.root_path = string_of(field(*root, "path"), "root.path");
  if (const json* ro = field(*root, "readonly")) {
    if (!ro->is_boolean()) decode_error("root.readonly is not a boolean");
    c.root_readonly = ro->get<bool>();
  }
  c.mounts = parse_mounts(field(j, "mounts"));
  c.annotations = parse_annotations(field(j, "annotations"));
  return c;
}

}  // namespace

std::string quote(std::string_view s, char mark) {
  std::string out(1, mark);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == mark || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + mark;
}

std::optional<std::string> ContainerConfig::env_value(const std::string& key) const {
  auto it = env.find(key);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

bool ContainerConfig::privileged() const {
  return std::find(bounding_capabilities.begin(), bounding_capabilities.end(), "CAP_SYS_ADMIN") !=
         bounding_capabilities.end();
}

ContainerConfig parse_container_config(std::string_view json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw Error(source + ": could not decode OCI spec: " + json_error_text(e));
  }
  try {
    return parse_document(j);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

ContainerConfig read_container_config(const std::string& bundle_dir) {
  const std::string path = bundle_dir + (bundle_dir.empty() || bundle_dir.back() == '/' ? "" : "/") + "config.json";
  const std::string source = quote(path);
  const std::string text =
      read_json_file(path, source + ": could not open OCI spec", source + ": could not read OCI spec");
  return parse_container_config(text, source);
}

}  // namespace gpuhooks::oci
