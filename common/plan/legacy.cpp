#include "common/plan/legacy.h"

#include <algorithm>

#include "common/error.h"
#include "common/plan/from_edits.h"

namespace gpuhooks::plan {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_index(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void check_devices_exist(const discovery::HostDiscovery& host, const std::vector<std::string>& devices) {
  for (const auto& id : devices) {
    if (id.empty() || id == "all") continue;
    bool found = false;
    for (const auto& g : host.gpus) {
      found = found || id == std::to_string(g.index) || id == g.uuid;
      for (const auto& m : g.migs)
        found = found || id == m.uuid || id == std::to_string(g.index) + ":" + std::to_string(m.index);
    }
    if (found) continue;
    if (is_index(id)) throw Error("no GPU with index " + id + " (" + std::to_string(host.gpus.size()) + " GPUs)");
    throw Error("no GPU or MIG device " + id);
  }
}

// The driver-level nodes a container gets for its capabilities (libnvidia-container.md A.1.3).
bool node_wanted(const std::string& path, const std::vector<std::string>& caps) {
  if (path.rfind("/dev/nvidia-uvm", 0) == 0) return has(caps, "compute") || has(caps, "video");
  if (path == "/dev/nvidia-modeset") return has(caps, "display");
  return true;
}

}  // namespace

Plan plan_legacy(const discovery::HostDiscovery& host, const std::vector<std::string>& devices,
                 const std::vector<std::string>& capabilities, const generate::GenerateOptions& options) {
  check_devices_exist(host, devices);
  generate::GenerateOptions o = options;
  o.device_name_strategies = {"index", "uuid"};
  o.no_all_device = false;
  bool none = devices.empty() || (devices.size() == 1 && devices[0].empty());
  o.device_ids = none ? std::vector<std::string>{"none"} : devices;
  if (has(devices, "all")) o.device_ids = {"all"};
  cdi::Spec spec = generate::build_spec(host, o);

  auto& nodes = spec.edits.device_nodes;
  nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                             [&](const cdi::DeviceNode& n) { return !node_wanted(n.path, capabilities); }),
              nodes.end());
  std::vector<const cdi::ContainerEdits*> edits = {&spec.edits};
  for (const auto& id : none ? std::vector<std::string>{} : o.device_ids) {
    auto it =
        std::find_if(spec.devices.begin(), spec.devices.end(), [&](const cdi::Device& d) { return d.name == id; });
    if (it != spec.devices.end()) edits.push_back(&it->edits);
  }
  Plan plan = plan_from_edits(edits);
  // The generated spec's env (NVIDIA_VISIBLE_DEVICES=void, NVIDIA_CTK_LIBCUDA_DIR) is for containers that a CDI
  // spec serves; nothing asked for it here, so it is not reported as an edit that could not be made.
  plan.env.clear();
  return plan;
}

}  // namespace gpuhooks::plan
