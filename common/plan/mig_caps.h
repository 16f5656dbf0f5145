#pragma once
// NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES on the legacy path (libnvidia-container.md A.2.2, the
// CLI's --mig-config / --mig-monitor): a privileged container (request.h enforces that) that may create, destroy or
// watch the MIG devices of its GPUs gets the driver's whole capabilities directory read-only at
// /proc/driver/nvidia/capabilities (where the container's procfs has /proc/driver/nvidia: apply.h), the host's
// /dev/nvidia-caps directory with its nodes usable, and in its device cgroup the `mig/config` (or `mig/monitor`)
// capability node and every capability minor /proc/driver/nvidia-caps/mig-minors lists for a selected GPU.
// No CDI spec carries these capabilities, so such a request is served by the legacy path only (resolve.h).
#include <optional>
#include <string>
#include <vector>

#include "common/discovery/host.h"
#include "common/plan/plan.h"

namespace gpuhooks::plan {

struct MigCapsRequest {
  std::optional<std::string> config;   // NVIDIA_MIG_CONFIG_DEVICES, when set
  std::optional<std::string> monitor;  // NVIDIA_MIG_MONITOR_DEVICES, when set
  bool any() const { return config || monitor; }
};

// Throws Error for a value other than "all" (the only one the reference supports) and for specific MIG devices
// among `devices` ("N:M" or "MIG-..."; their own access capabilities would be widened): input the hook rejects,
// whichever path would serve it.
void check_mig_caps_request(const MigCapsRequest& request, const std::vector<std::string>& devices);

// Adds what a checked `request` asks for to `plan`, for the GPUs `devices` selects (as plan_legacy takes them).
// Throws Error for a capability file or node the host lacks, naming it.
void add_mig_caps(Plan& plan, const discovery::HostDiscovery& host, const std::vector<std::string>& devices,
                  const MigCapsRequest& request);

}  // namespace gpuhooks::plan
