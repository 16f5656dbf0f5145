#pragma once
// Which path serves a GPU container, as Docker 29.2 decides (issue: CDI first, legacy fallback): the requested
// devices become <kind>=<id> names (qualified names kept); when every name resolves in the registry the CDI edits
// fill the plan, otherwise legacy discovery of the requested GPUs and capabilities does. The mode of config.toml
// narrows it: cdi = CDI only, legacy = legacy only.
#include <optional>
#include <string>
#include <vector>

#include "common/config/hook_config.h"
#include "common/discovery/host.h"
#include "common/generate/spec_builder.h"
#include "common/plan/plan.h"
#include "common/request/request.h"

namespace gpuhooks::plan {

struct Resolution {
  std::string path = "none";  // "cdi", "legacy" or "none"
  std::string reason;         // why this path, in one line; when unserved, why nothing can serve
  bool unserved = false;      // a GPU container that neither path can serve: the hook fails with `reason`
  std::vector<std::string> cdi_devices;
  std::vector<std::string> warnings;  // a stale spec that serves the container (stale_spec.h)
  Plan plan;
  std::optional<discovery::HostDiscovery> host;  // the discovered host, when the legacy path looked at it
};

// Reads spec dirs and the driver root; never writes. `generate` shapes the legacy path's edits (hook binary path,
// ldconfig). Throws Error only for input the hook rejects outright (an invalid CDI device name).
Resolution resolve(const request::Request& request, const config::HookConfig& config,
                   const generate::GenerateOptions& generate);

// The driver root's discovery for the request's capabilities (NVML when the root has it).
discovery::HostDiscovery discover_for(const request::Request& request, const config::HookConfig& config);

}  // namespace gpuhooks::plan
