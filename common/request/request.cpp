#include "common/request/request.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "common/error.h"
#include "common/oci/gpus_annotation.h"
#include "common/split_join.h"

namespace gpuhooks::request {
namespace {

using Strings = std::vector<std::string>;
using StringSet = std::set<std::string>;  // sorted: the reference prints capability sets sorted

constexpr std::string_view kMountRoot = "/var/run/nvidia-container-devices";
constexpr std::string_view kMountCdi = "cdi/";
constexpr std::string_view kMountImex = "imex/";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Go's strings.TrimSpace trims unicode.IsSpace: the ASCII spaces and, as UTF-8, the Unicode ones below. An image's
// "0,\u00a01" names GPU 1 for the reference, so it does for us.
std::string_view trim_space(std::string_view s) {
  // clang-format off
  static constexpr std::array<std::string_view, 25> kSpaces = {
      " ", "\t", "\n", "\v", "\f", "\r", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
      "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
      "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
      "\xe2\x81\x9f", "\xe3\x80\x80"};
  // clang-format on
  for (bool trimmed = true; trimmed && !s.empty();) {
    trimmed = false;
    for (auto sp : kSpaces) {
      if (starts_with(s, sp)) s.remove_prefix(sp.size()), trimmed = true;
      if (ends_with(s, sp)) s.remove_suffix(sp.size()), trimmed = true;
    }
  }
  return s;
}

// Go's filepath.Clean, which the reference applies to mount sources and destinations (§2.5.3).
std::string go_clean(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  Strings parts;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (!parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (!rooted) {
      parts.push_back("..");
    }
  }
  std::string out = (rooted ? "/" : "") + join(parts, "/");
  return out.empty() ? "." : out;
}

// Go's strconv.ParseBool, reduced to "parses as true": anything unparsable is false (NVIDIA_DISABLE_REQUIRE).
bool go_parse_bool_true(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True";
}

// The CDI parser's IsQualifiedName (cdi.md §2.1-§2.2): vendor/class=name, each part in its grammar.
bool cdi_part_ok(std::string_view s, bool letter_first, std::string_view middle) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  if (letter_first && s.front() >= '0' && s.front() <= '9') return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || middle.find(c) != std::string_view::npos; });
}
bool is_qualified_cdi_name(std::string_view s) {
  size_t eq = s.find('='), slash = s.find('/');
  if (s.empty() || s[0] == '/' || eq == std::string_view::npos || slash == std::string_view::npos || slash > eq)
    return false;
  return cdi_part_ok(s.substr(0, slash), true, "_.-") &&
         cdi_part_ok(s.substr(slash + 1, eq - slash - 1), true, "_.-") && cdi_part_ok(s.substr(eq + 1), false, "_.:-");
}

// The first of each repeated item, in order; a set, as a hostile image may list millions of items.
Strings unique_in_order(Strings items) {
  StringSet seen;
  Strings out;
  for (auto& item : items)
    if (seen.insert(item).second) out.push_back(std::move(item));
  return out;
}

// §2.5.2 over the values of the variables that are set: nullopt is the reference's nil (not a request), ["all"],
// [""] for none, or the list. The reference's duplicate quirk ("0,0" -> ["", "0"], a `--device=,0` with an empty
// first item) is a weakness it marks; we drop repeats instead and keep the first of each, so "0,0" is ["0"].
std::optional<Strings> devices_from_values(const Strings& values, bool legacy_image) {
  Strings items;
  for (const auto& value : values) {
    for (const auto& item : split(value, ',')) {
      auto trimmed = trim_space(item);
      if (!trimmed.empty()) items.emplace_back(trimmed);
    }
  }
  if (values.empty() && legacy_image) return Strings{"all"};
  if (items.empty() || std::find(items.begin(), items.end(), "void") != items.end()) return std::nullopt;
  for (const auto& item : items) {
    if (item == "all") return Strings{"all"};
    if (item == "none") return Strings{""};
  }
  return unique_in_order(std::move(items));
}

// The named variables' request; `set_names`, when given, receives the names that are set (in the names' order).
std::optional<Strings> devices_from_env(const oci::ContainerConfig& config, const Strings& names, bool legacy_image,
                                        Strings* set_names = nullptr) {
  Strings values;
  for (const auto& name : names) {
    auto value = config.env_value(name);
    if (!value) continue;
    values.push_back(std::move(*value));
    if (set_names != nullptr) set_names->push_back(name);
  }
  return devices_from_values(values, legacy_image);
}

// The swarm-resource names if any of them is set (even empty), else NVIDIA_VISIBLE_DEVICES.
Strings device_env_names(const oci::ContainerConfig& config, const RequestOptions& options) {
  Strings swarm;
  for (const auto& name : options.swarm_resource)
    if (auto n = trim_space(name); !n.empty()) swarm.emplace_back(n);
  for (const auto& name : swarm)
    if (config.has_env(name)) return swarm;
  return {"NVIDIA_VISIBLE_DEVICES"};
}

// §2.5.3: the items of /dev/null mounts under the devices root, once per destination. The prefix test is the
// reference's plain string prefix, so /var/run/nvidia-container-devicesX/0 counts too: copied, because mounts come
// from the orchestrator (a device plugin), not from the image, so the looser match gives an image nothing.
Strings mount_requests(const oci::ContainerConfig& config) {
  Strings items;
  StringSet seen;
  for (const auto& m : config.mounts) {
    if (go_clean(m.source) != "/dev/null") continue;
    std::string destination = go_clean(m.destination);
    if (!seen.insert(destination).second || !starts_with(destination, kMountRoot)) continue;
    std::string_view item = std::string_view(destination).substr(kMountRoot.size());
    while (!item.empty() && item.front() == '/') item.remove_prefix(1);
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

Strings devices_from_mounts(const Strings& requests, Strings& warnings) {
  Strings devices;
  for (const auto& item : requests) {
    if (starts_with(item, kMountImex)) continue;
    if (!starts_with(item, kMountCdi)) {
      devices.push_back(item);
      continue;
    }
    std::string name = item.substr(kMountCdi.size());
    if (is_qualified_cdi_name(name)) {
      devices.push_back(name);
    } else if (auto parts = split(name, '/'); parts.size() == 3) {
      devices.push_back(parts[0] + "/" + parts[1] + "=" + parts[2]);
    } else {
      warnings.push_back("Ignoring invalid mount request for CDI device " + oci::quote(item) +
                         ": invalid CDI device name " + oci::quote(name));
    }
  }
  // cdi/v/c/d and cdi/v/c=d name one device.
  return unique_in_order(std::move(devices));
}

std::string bracketed(const Strings& names) { return "[" + join(names, " ") + "]"; }  // Go's %v of a []string

// §2.5.3, then our annotation, then §2.5.2, the last two behind the privilege gate of §2.5.4; empty means not a GPU
// container. The annotation is the more explicit request (`podman run --annotation`, a pod's annotations), so it
// comes before the image's env, and when it is there the env is not read: "void" or "" in it asks for nothing. It
// is gated like the env: a pod's author writes both, podman copies an image's annotations into its containers', and
// only volume mounts come from the device plugin.
Strings select_devices(const oci::ContainerConfig& config, const RequestOptions& options, Request& r) {
  if (options.accept_volume_mounts) {
    Strings devices = devices_from_mounts(mount_requests(config), r.warnings);
    if (!devices.empty()) {
      r.requested_by = "volume mounts";
      return devices;
    }
  }
  std::optional<Strings> devices;
  std::string ignored;
  if (auto a = config.annotations.find(std::string(oci::kGpusAnnotation)); a != config.annotations.end()) {
    devices = devices_from_values({a->second}, false);
    r.requested_by = "annotation " + std::string(oci::kGpusAnnotation);
    ignored = "Ignoring devices requested by " + r.requested_by + " in unprivileged container";
  } else {
    Strings names = device_env_names(config, options);
    Strings set;
    devices = devices_from_env(config, names, r.legacy_image, &set);
    r.requested_by = set.empty() ? "a legacy CUDA image's default" : join(set, ",");
    ignored = "Ignoring devices requested by environment variable(s) in unprivileged container: " + bracketed(names);
  }
  if (devices && (r.privileged || options.accept_envvar_unprivileged)) return *devices;
  if (devices) r.warnings.push_back(ignored);
  r.requested_by.clear();
  return {};
}

// §2.8. The reference returns ["all"] (explicit, or a legacy image's default) as no request; we also return `none`
// ([""]) as an empty list, which gives the same command line: no --imex-channel.
Strings select_imex_channels(const oci::ContainerConfig& config, const RequestOptions& options, Request& r) {
  if (options.ignore_imex_channel_requests) return {};
  if (options.accept_volume_mounts) {
    Strings channels;
    for (const auto& item : mount_requests(config))
      if (starts_with(item, kMountImex)) channels.push_back(item.substr(kMountImex.size()));
    if (!channels.empty()) return channels;
  }
  auto channels = devices_from_env(config, {"NVIDIA_IMEX_CHANNELS"}, r.legacy_image);
  if (!channels || *channels == Strings{"all"}) return {};
  if (!r.privileged && !options.accept_envvar_unprivileged) {
    r.warnings.push_back(
        "Ignoring request by environment variable(s) in unprivileged container: [NVIDIA_IMEX_CHANNELS]");
    return {};
  }
  if (*channels == Strings{""}) return {};
  return *channels;
}

// §2.8: MIG configuration or monitoring reaches the whole GPU, so only a privileged container may ask.
void read_mig(const oci::ContainerConfig& config, Request& r) {
  for (auto [name, target] : {std::pair{"NVIDIA_MIG_CONFIG_DEVICES", &r.mig_config_devices},
                              std::pair{"NVIDIA_MIG_MONITOR_DEVICES", &r.mig_monitor_devices}}) {
    auto value = config.env_value(name);
    if (!value || value->empty()) continue;
    if (!r.privileged) throw Error(std::string("cannot set ") + (name + 7) + " in non privileged container");
    *target = *value;
  }
}

StringSet capability_set(std::string_view csv) {
  StringSet out;
  for (const auto& item : split(csv, ','))
    if (auto c = trim_space(item); !c.empty()) out.emplace(c);
  return out;
}

// DriverCapabilities.Intersection: `all` on either side stands for the other side.
StringSet intersect(const StringSet& supported, const StringSet& wanted) {
  if (wanted.count("all")) return supported;
  if (supported.count("all")) return wanted;
  StringSet out;
  for (const auto& c : wanted)
    if (supported.count(c)) out.insert(c);
  return out;
}

// §2.6. Unknown words, `none` among them, are fatal: the reference's rule, kept because silently dropping a
// capability would start a container without what it asked for.
Strings driver_capabilities(const oci::ContainerConfig& config, const RequestOptions& options, bool legacy_image) {
  StringSet supported;
  for (const auto& c : options.supported_capabilities)
    if (auto t = trim_space(c); !t.empty()) supported.emplace(t);
  auto env = config.env_value("NVIDIA_DRIVER_CAPABILITIES");
  StringSet caps;
  if (!env && legacy_image) {
    caps = supported;
  } else if (!env || env->empty()) {
    caps = intersect(supported, {"compute", "utility"});
  } else {
    StringSet wanted = capability_set(*env);
    caps = intersect(supported, wanted);
    if (!wanted.count("all") && caps.size() != wanted.size())
      throw Error("unsupported capabilities found in " + oci::quote(join({wanted.begin(), wanted.end()}, ","), '\'') +
                  " (allowed " + oci::quote(join({caps.begin(), caps.end()}, ","), '\'') + ")");
  }
  return {caps.begin(), caps.end()};
}

// A legacy image's CUDA floor, "cuda>=<major>.<minor>" of CUDA_VERSION, read as the reference does: valid for
// golang.org/x/mod/semver after one optional "v", major and minor each fitting a uint32.
std::string legacy_cuda_floor(const std::string& cuda_version) {
  auto fail = [&](const char* why) {
    return Error("failed to get requirements: invalid CUDA version " + oci::quote(cuda_version, '\'') + ": " + why);
  };
  std::string_view version = cuda_version;
  if (starts_with(version, "v")) version.remove_prefix(1);
  auto number = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos && (s.size() == 1 || s[0] != '0');
  };
  auto identifiers = [&](std::string_view s, bool pre) {
    for (const auto& id : split(s, '.')) {
      if (id.empty() || (pre && id.find_first_not_of("0123456789") == std::string::npos && !number(id))) return false;
      if (id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != std::string::npos)
        return false;
    }
    return true;
  };
  size_t suffix = version.find_first_of("-+");
  Strings numbers = split(version.substr(0, suffix), '.');
  // The short forms "12" and "12.4" take no prerelease or build suffix.
  bool valid = numbers.size() <= 3 && (suffix == std::string_view::npos || numbers.size() == 3) &&
               std::all_of(numbers.begin(), numbers.end(), number);
  if (valid && suffix != std::string_view::npos) {
    std::string_view rest = version.substr(suffix);
    size_t plus = rest.find('+');
    valid = (plus == std::string_view::npos || identifiers(rest.substr(plus + 1), false)) &&
            (rest[0] != '-' || identifiers(rest.substr(1, plus == std::string_view::npos ? plus : plus - 1), true));
  }
  if (!valid) throw fail("invalid version string");
  if (numbers.size() == 1) numbers.push_back("0");
  auto fits_uint32 = [](const std::string& n) { return n.size() <= 10 && std::stoull(n) <= 0xffffffffull; };
  if (!fits_uint32(numbers[0])) throw fail("invalid major version");
  if (!fits_uint32(numbers[1])) throw fail("invalid minor version");
  return "cuda>=" + numbers[0] + "." + numbers[1];
}

// §2.7. Every NVIDIA_REQUIRE_* value counts, an empty one included, except NVIDIA_REQUIRE_JETPACK*: on Jetson that
// is a mount flag (csv-mounts=all), not a constraint.
Strings requirements(const oci::ContainerConfig& config, bool legacy_image) {
  Strings out;
  for (const auto& [name, value] : config.env)
    if (starts_with(name, "NVIDIA_REQUIRE_") && !starts_with(name, "NVIDIA_REQUIRE_JETPACK")) out.push_back(value);
  if (legacy_image) out.push_back(legacy_cuda_floor(*config.env_value("CUDA_VERSION")));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Request read_request(const oci::ContainerConfig& config, const RequestOptions& options) {
  Request r;
  r.privileged = config.privileged();
  auto cuda_version = config.env_value("CUDA_VERSION");
  auto require_cuda = config.env_value("NVIDIA_REQUIRE_CUDA");
  r.legacy_image = cuda_version && !cuda_version->empty() && (!require_cuda || require_cuda->empty());
  r.devices = select_devices(config, options, r);
  // The reference's hook exits 0 here, before any of the checks below can fail a non-GPU container.
  if (r.devices.empty()) return r;
  r.gpu_container = true;
  read_mig(config, r);
  r.imex_channels = select_imex_channels(config, options, r);
  r.driver_capabilities = driver_capabilities(config, options, r.legacy_image);
  auto disable = config.env_value("NVIDIA_DISABLE_REQUIRE");
  r.disable_require = options.disable_require || (disable && go_parse_bool_true(*disable));
  if (!r.disable_require) r.requirements = requirements(config, r.legacy_image);
  return r;
}

}  // namespace gpuhooks::request
