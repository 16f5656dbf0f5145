// dockerd >= 29.2 (moby b985e23, daemon/devices*.go): handleDevice picks a driver, and the "nvidia" driver tries
// nvidia.cdi, then nvidia.runtime-hook (firstSuccessfulUpdater).
#include <algorithm>

#include "common/cdi/docker/docker_gpus.h"
#include "common/cdi/edits/inject.h"
#include "common/cdi/spec/quote.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::cdi {
namespace {

// The "nvidia" driver's capability set (no "ngx"), and the subset the runtime hook is told about.
const std::vector<std::string> kNvidiaCapset = {"gpu",      "nvidia",  "compute", "compat32",
                                                "graphics", "utility", "video",   "display"};
const std::vector<std::string> kNvidiaDriverCaps = {"compute", "compat32", "graphics", "utility", "video", "display"};

bool contains(const std::vector<std::string>& set, const std::string& s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// capabilities.Set.Match: the first AND-list wholly inside the set, or nullptr.
const std::vector<std::string>* match_caps(const std::vector<std::vector<std::string>>& caps) {
  for (const auto& and_list : caps)
    if (std::all_of(and_list.begin(), and_list.end(), [](const auto& c) { return contains(kNvidiaCapset, c); }))
      return &and_list;
  return nullptr;
}

// Go's %v of [][]string: [[compute utility gpu]].
std::string format_caps(const std::vector<std::vector<std::string>>& caps) {
  std::string s = "[";
  for (size_t i = 0; i < caps.size(); ++i) {
    s += i ? " [" : "[";
    for (size_t k = 0; k < caps[i].size(); ++k) s += (k ? " " : "") + caps[i][k];
    s += "]";
  }
  return s + "]";
}

Error incompatible(const DeviceRequest& r) {
  return Error("could not select device driver " + go_quote(r.driver) +
               " with capabilities: " + format_caps(r.capabilities));
}

// The cdi driver's updater: an empty string when the devices would be injected, else Docker's error text.
std::string try_cdi(const std::vector<std::string>& names, const Registry& registry, const DockerGpuSetup& setup,
                    const DeviceRequest& request) {
  if (!setup.cdi_enabled) {
    return "no CDI device driver registered: could not select device driver " + go_quote(request.driver) +
           " with capabilities: " + format_caps(request.capabilities);
  }
  if (registry.spec_dirs().empty()) return "CDI device injection failed: no CDI specification directories specified";
  try {
    nlohmann::json probe = nlohmann::json::object();  // host device nodes are read here, as at container create
    inject_devices(probe, registry, names);
  } catch (const Error& e) {
    return std::string("CDI device injection failed: ") + e.what();
  }
  return "";
}

GpuDecision legacy(const std::vector<std::string>& ids, const std::vector<std::string>* selected) {
  GpuDecision d;
  d.path = GpuDecision::Path::kLegacyHook;
  d.legacy_env.push_back("NVIDIA_VISIBLE_DEVICES=" + join(ids, ","));
  std::vector<std::string> caps;
  if (selected)
    for (const auto& c : *selected)
      if (contains(kNvidiaDriverCaps, c)) caps.push_back(c);
  if (!caps.empty()) d.legacy_env.push_back("NVIDIA_DRIVER_CAPABILITIES=" + join(caps, ","));
  return d;
}

}  // namespace

std::string_view to_string(GpuDecision::Path path) {
  switch (path) {
    case GpuDecision::Path::kCdi: return "cdi";
    case GpuDecision::Path::kLegacyHook: return "legacy";
    case GpuDecision::Path::kNone: break;
  }
  return "none";
}

GpuDecision decide_gpus(const DeviceRequest& request, const Registry& registry, const DockerGpuSetup& setup) {
  const bool nvidia_registered = setup.has_cdi_hook || setup.has_runtime_hook;
  bool use_cdi = setup.has_cdi_hook, use_legacy = setup.has_runtime_hook;
  const std::vector<std::string>* selected = match_caps(request.capabilities);
  if (request.driver.empty() || request.driver == "nvidia") {
    // An empty driver picks by capabilities; an explicit "nvidia" ignores them (master; 20.10 required a match).
    if (!nvidia_registered || (request.driver.empty() && !selected)) throw incompatible(request);
  } else if (request.driver == "nvidia.cdi" && setup.has_cdi_hook) {
    use_legacy = false;
  } else if (request.driver == "nvidia.runtime-hook" && setup.has_runtime_hook) {
    use_cdi = false;
  } else if (request.driver == "cdi" && setup.cdi_enabled) {
    // The plain CDI driver (`--device vendor/class=name`): IDs taken as they are, no count, no options.
    if (request.count != 0) throw Error("unexpected count in CDI device request");
    if (!request.options.empty()) throw Error("unexpected options in CDI device request");
    GpuDecision d;
    if (request.device_ids.empty()) return d;
    d.cdi_devices = request.device_ids;
    std::string err = try_cdi(d.cdi_devices, registry, setup, request);
    if (!err.empty()) throw Error(err);
    d.path = GpuDecision::Path::kCdi;
    d.reason = "every CDI device resolves";
    return d;
  } else {
    throw incompatible(request);
  }

  std::vector<std::string> ids = requested_device_ids(request);
  GpuDecision none;
  if (ids.empty()) {
    none.reason = "count 0: no GPU requested, nothing is injected";
    return none;
  }
  std::vector<std::string> names;
  for (const auto& id : ids) names.push_back(cdi_name_for_gpu(id, setup.default_kind));
  std::string cdi_error;
  if (use_cdi) {
    cdi_error = try_cdi(names, registry, setup, request);
    if (cdi_error.empty()) {
      GpuDecision d;
      d.path = GpuDecision::Path::kCdi;
      d.cdi_devices = std::move(names);
      d.reason = "every CDI device resolves";
      return d;
    }
  }
  if (!use_legacy) throw Error(cdi_error.empty() ? incompatible(request).what() : cdi_error);
  GpuDecision d = legacy(ids, selected);
  d.cdi_devices = std::move(names);
  d.reason = use_cdi ? cdi_error : "the CDI path is not available (no nvidia-cdi-hook at dockerd start)";
  return d;
}

}  // namespace gpuhooks::cdi
