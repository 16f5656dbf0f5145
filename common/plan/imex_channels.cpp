#include "common/plan/imex_channels.h"

#include <algorithm>

#include "common/discovery/device_nodes.h"
#include "common/error.h"
#include "common/oci/container_config.h"

namespace gpuhooks::plan {

namespace {

// The id becomes part of a host path: only a decimal below 2^20 (the reference's bound), so "../sda" never names
// another device.
bool valid_channel(const std::string& id) {
  if (id.empty() || id.size() > 7 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return std::stoul(id) < (1u << 20);
}

}  // namespace

void add_imex_channels(Plan& plan, const discovery::HostDiscovery& host, const std::vector<std::string>& channels) {
  for (const auto& id : channels) {
    if (!valid_channel(id))
      throw Error("invalid IMEX channel " + oci::quote(id) + ": a channel is a number from 0 to 1048575");
    const std::string path = std::string(kImexChannelDir) + "/channel" + id;
    auto node = discovery::find_char_device(host.dev_root, path);
    if (!node)
      throw Error("IMEX channel " + id + ": no device node " + (host.dev_root / path.substr(1)).string() +
                  " on the host (create the channel there first, as nvidia-modprobe does)");
    plan.device_nodes.push_back({node->path, node->host_path, 'c', node->major, node->minor});
    plan.cgroup_rules.push_back({'c', node->major, node->minor, "rw"});
  }
}

}  // namespace gpuhooks::plan
