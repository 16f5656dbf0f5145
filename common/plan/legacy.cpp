#include "common/plan/legacy.h"

#include <algorithm>

#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/plan/from_edits.h"

namespace gpuhooks::plan {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_index(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The GPU `id` names (an index, a UUID), or the parent of the MIG device it names ("N:M", a MIG UUID).
bool names(const discovery::Gpu& g, const std::string& id) {
  if (id == std::to_string(g.index) || id == g.uuid) return true;
  for (const auto& m : g.migs)
    if (id == m.uuid || id == std::to_string(g.index) + ":" + std::to_string(m.index)) return true;
  return false;
}

void check_devices_exist(const discovery::HostDiscovery& host, const std::vector<std::string>& devices) {
  for (const auto& id : devices) {
    if (id.empty() || id == "all") continue;
    if (std::any_of(host.gpus.begin(), host.gpus.end(), [&](const auto& g) { return names(g, id); })) continue;
    if (is_index(id)) throw Error("no GPU with index " + id + " (" + std::to_string(host.gpus.size()) + " GPUs)");
    throw Error("no GPU or MIG device " + id);
  }
}

// The nodes a container gets for its capabilities (libnvidia-container.md A.1.3): UVM with compute or video, the
// modeset node with display, DRM nodes with graphics or display.
bool node_wanted(const std::string& path, const std::vector<std::string>& caps) {
  if (path.rfind("/dev/nvidia-uvm", 0) == 0) return has(caps, "compute") || has(caps, "video");
  if (path == "/dev/nvidia-modeset") return has(caps, "display");
  if (path.rfind("/dev/dri/", 0) == 0) return has(caps, "graphics") || has(caps, "display");
  return true;
}

void drop_unwanted_nodes(cdi::ContainerEdits& e, const std::vector<std::string>& caps) {
  std::erase_if(e.device_nodes, [&](const cdi::DeviceNode& n) { return !node_wanted(n.path, caps); });
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
  // The application profile names GPUs for EGL: graphics only, as libnvidia-container writes it.
  if (!has(capabilities, "graphics") && !has(capabilities, "display"))
    o.disabled_hooks.push_back("update-application-profile");
  cdi::Spec spec = generate::build_spec(host, o);

  drop_unwanted_nodes(spec.edits, capabilities);
  for (auto& d : spec.devices) drop_unwanted_nodes(d.edits, capabilities);
  std::vector<const cdi::ContainerEdits*> edits = {&spec.edits};
  for (const auto& id : none ? std::vector<std::string>{} : o.device_ids) {
    auto it =
        std::find_if(spec.devices.begin(), spec.devices.end(), [&](const cdi::Device& d) { return d.name == id; });
    if (it != spec.devices.end()) edits.push_back(&it->edits);
  }
  Plan plan = plan_from_edits(edits);
  // libnvidia-container's rule is read and write, never mknod: the nodes are bound, not created.
  for (auto& r : plan.cgroup_rules) r.access = "rw";
  // The generated spec's env (NVIDIA_VISIBLE_DEVICES=void, NVIDIA_CTK_LIBCUDA_DIR) is for containers that a CDI
  // spec serves; nothing asked for it here, so it is not reported as an edit that could not be made.
  plan.env.clear();
  return plan;
}

std::vector<const discovery::Gpu*> selected_gpus(const discovery::HostDiscovery& host,
                                                 const std::vector<std::string>& devices) {
  std::vector<const discovery::Gpu*> out;
  for (const auto& g : host.gpus)
    if (std::any_of(devices.begin(), devices.end(), [&](const auto& id) { return id == "all" || names(g, id); }))
      out.push_back(&g);
  return out;
}

}  // namespace gpuhooks::plan
