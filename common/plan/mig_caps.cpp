#include "common/plan/mig_caps.h"

#include <algorithm>
#include <charconv>

#include "common/discovery/device_nodes.h"
#include "common/discovery/proc_gpus.h"
#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/plan/legacy.h"
#include "common/rootfs/in_root.h"
#include "common/split_join.h"

namespace gpuhooks::plan {
namespace {

constexpr const char* kCapabilitiesDir = "/proc/driver/nvidia/capabilities";
constexpr const char* kMigMinors = "/proc/driver/nvidia-caps/mig-minors";
constexpr const char* kCapsDevDir = "/dev/nvidia-caps";

bool names_mig_device(const std::string& id) { return id.find(':') != std::string::npos || id.starts_with("MIG-"); }

// "DeviceFileMinor: 1" of a capability file (gpu-host-h100.md §4).
unsigned device_file_minor(const rootfs::InRoot& driver_root, const std::string& file) {
  if (!driver_root.is_regular_file(file))
    throw Error("no " + (driver_root.host_path() / file.substr(1)).string() + " on the host (MIG capabilities)");
  for (const auto& line : split(driver_root.read_file(file, 4096), '\n')) {
    std::string_view v = line;
    if (!v.starts_with("DeviceFileMinor:")) continue;
    v.remove_prefix(16);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    unsigned minor = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), minor);
    if (ec == std::errc() && end != v.data()) return minor;
  }
  throw Error((driver_root.host_path() / file.substr(1)).string() + " has no DeviceFileMinor");
}

void add_rule(Plan& plan, CgroupRule rule) {
  if (std::find(plan.cgroup_rules.begin(), plan.cgroup_rules.end(), rule) == plan.cgroup_rules.end())
    plan.cgroup_rules.push_back(rule);
}

}  // namespace

void check_mig_caps_request(const MigCapsRequest& request, const std::vector<std::string>& devices) {
  for (auto [variable, value, what] : {std::tuple{"NVIDIA_MIG_CONFIG_DEVICES", &request.config, "config"},
                                       std::tuple{"NVIDIA_MIG_MONITOR_DEVICES", &request.monitor, "monitor"}}) {
    if (!*value) continue;
    if (**value != "all")
      throw Error(std::string(variable) + "=" + oci::quote(**value) + ": only \"all\" is supported");
    for (const auto& id : devices)
      if (names_mig_device(id))
        throw Error(std::string("cannot enable mig-") + what + " with specific MIG devices selected (" + id + ")");
  }
}

void add_mig_caps(Plan& plan, const discovery::HostDiscovery& host, const std::vector<std::string>& devices,
                  const MigCapsRequest& request) {
  if (!request.any()) return;
  const rootfs::InRoot driver_root(host.driver_root);
  std::vector<std::pair<std::string, std::string>> wanted;  // (what, capability file)
  for (auto [value, what] : {std::pair{&request.config, "config"}, std::pair{&request.monitor, "monitor"}})
    if (*value) wanted.emplace_back(what, std::string(kCapabilitiesDir) + "/mig/" + what);

  std::optional<unsigned> caps_major;
  for (const auto& [what, file] : wanted) {
    const std::string node =
        std::string(kCapsDevDir) + "/nvidia-cap" + std::to_string(device_file_minor(driver_root, file));
    auto found = discovery::find_char_device(host.dev_root, node);
    if (!found)
      throw Error("no device node " + (host.dev_root / node.substr(1)).string() + " on the host (mig-" + what +
                  " capability)");
    caps_major = found->major;
    add_rule(plan, {'c', found->major, found->minor, "rw"});
  }
  // Every minor of the selected GPUs' instances, existing now or made later by the container itself.
  if (!driver_root.is_regular_file(kMigMinors))
    throw Error("no " + (host.driver_root / (kMigMinors + 1)).string() + " on the host (MIG capability minors)");
  const auto minors =
      discovery::parse_mig_minors(driver_root.read_file(kMigMinors), (host.driver_root / (kMigMinors + 1)).string());
  for (const auto* gpu : selected_gpus(host, devices)) {
    const std::string prefix = "gpu" + std::to_string(gpu->minor) + "/";
    for (const auto& [name, minor] : minors)
      if (name.starts_with(prefix)) add_rule(plan, {'c', *caps_major, static_cast<unsigned>(minor), "rw"});
  }
  plan.mounts.push_back({(host.driver_root / (kCapabilitiesDir + 1)).string(), kCapabilitiesDir, true, true, false});
  plan.mounts.push_back({(host.dev_root / (kCapsDevDir + 1)).string(), kCapsDevDir, false, true, true});
}

}  // namespace gpuhooks::plan
