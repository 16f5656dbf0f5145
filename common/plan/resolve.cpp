#include "common/plan/resolve.h"

#include "common/cdi/docker/docker_gpus.h"
#include "common/cdi/edits/inject.h"
#include "common/cdi/registry/registry.h"
#include "common/error.h"
#include "common/plan/from_edits.h"
#include "common/plan/imex_channels.h"
#include "common/plan/legacy.h"
#include "common/plan/mig_caps.h"
#include "common/plan/stale_spec.h"
#include "common/split_join.h"

namespace gpuhooks::plan {
namespace {

std::vector<std::string> cdi_names(const request::Request& request, const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& id : request.devices)
    if (!id.empty()) names.push_back(cdi::cdi_name_for_gpu(id, kind));
  return names;
}

// Empty when the CDI path serves the request (plan filled), else why not.
MigCapsRequest mig_caps(const request::Request& request) {
  return {request.mig_config_devices, request.mig_monitor_devices};
}

std::string try_cdi(Resolution& r, const request::Request& request, const config::HookConfig& config) {
  if (r.cdi_devices.empty()) return "no GPU requested by CDI name (NVIDIA_VISIBLE_DEVICES=none)";
  if (mig_caps(request).any())
    return std::string(request.mig_config_devices ? "NVIDIA_MIG_CONFIG_DEVICES" : "NVIDIA_MIG_MONITOR_DEVICES") +
           " asks for MIG capabilities, which no CDI spec carries";
  cdi::Registry registry(config.cdi_spec_dirs);
  auto missing = cdi::unresolved_devices(registry, r.cdi_devices);
  if (!missing.empty()) {
    std::string why = "unresolvable CDI devices " + join(missing, ", ");
    if (!registry.errors().empty())
      why += " (" + registry.errors().front().path + ": " + registry.errors().front().message + ")";
    return why;
  }
  try {
    r.plan = plan_from_edits(cdi::merged_edits(registry, r.cdi_devices));
  } catch (const Error& e) {
    return std::string("CDI devices ") + join(r.cdi_devices, ", ") + ": " + e.what();
  }
  r.warnings = stale_spec_warnings(registry, r.cdi_devices, config.cli.root.empty() ? "/" : config.cli.root);
  return "";
}

// Empty when the legacy path serves the request (plan filled), else why not.
std::string try_legacy(Resolution& r, const request::Request& request, const config::HookConfig& config,
                       const generate::GenerateOptions& generate) {
  try {
    r.host = discover_for(request, config);
    r.plan = plan_legacy(*r.host, request.devices, request.driver_capabilities, generate);
    add_imex_channels(r.plan, *r.host, request.imex_channels);
    add_mig_caps(r.plan, *r.host, request.devices, mig_caps(request));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

discovery::HostDiscovery discover_for(const request::Request& request, const config::HookConfig& config) {
  discovery::DiscoveryOptions o;
  o.driver_root = config.cli.root.empty() ? "/" : config.cli.root;
  o.capabilities.clear();
  for (const auto& c : request.driver_capabilities)
    if (auto cap = discovery::parse_capability(c)) o.capabilities.push_back(*cap);
  o.files = discovery::files_options_from_environment();
  if (!config.cli.ldcache.empty()) o.ldcache = config.cli.ldcache;
  return discovery::discover_host(o);
}

Resolution resolve(const request::Request& request, const config::HookConfig& config,
                   const generate::GenerateOptions& generate) {
  Resolution r;
  if (!request.gpu_container) {
    r.reason = "not a GPU container: no GPU requested (NVIDIA_VISIBLE_DEVICES unset, empty or void)";
    return r;
  }
  check_mig_caps_request(mig_caps(request), request.devices);
  r.cdi_devices = cdi_names(request, config.cdi_default_kind);
  // Channels are CDI devices of their own kind: a registry without them leaves the request to legacy discovery.
  for (const auto& id : request.imex_channels) r.cdi_devices.push_back(std::string(kImexChannelKind) + "=" + id);
  std::string cdi_failure, legacy_failure;
  if (config.mode != "legacy") {
    cdi_failure = try_cdi(r, request, config);
    if (cdi_failure.empty()) {
      order_mounts(r.plan);
      r.path = "cdi";
      r.reason = "every requested device resolves in the CDI registry (" + join(config.cdi_spec_dirs, ", ") + ")";
      return r;
    }
  }
  if (config.mode != "cdi") {
    legacy_failure = try_legacy(r, request, config, generate);
    if (legacy_failure.empty()) {
      order_mounts(r.plan);
      r.path = "legacy";
      r.reason = config.mode == "legacy" ? "mode legacy: driver files from " + config.cli.root
                                         : cdi_failure + "; legacy discovery of " + config.cli.root + " serves it";
      return r;
    }
  }
  r.plan = {};
  r.unserved = true;
  if (config.mode == "cdi") r.reason = cdi_failure;
  else if (config.mode == "legacy") r.reason = "legacy: " + legacy_failure;
  else r.reason = cdi_failure + "; legacy: " + legacy_failure;
  return r;
}

}  // namespace gpuhooks::plan
