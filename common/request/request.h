#pragma once
// What a container asks the prestart hook for, from its config.json alone (nvidia-hooks.md §2.5-§2.8): the GPUs,
// the driver capabilities, the requirements, MIG and IMEX requests. Pure: no host is looked at.
#include <optional>
#include <string>
#include <vector>

#include "common/oci/container_config.h"

namespace gpuhooks::request {

// The config.toml keys the rules depend on (filled by the hook from common/config), as plain values.
struct RequestOptions {
  std::vector<std::string> swarm_resource;  // env names preferred over NVIDIA_VISIBLE_DEVICES
  bool accept_envvar_unprivileged = true;   // accept-nvidia-visible-devices-envvar-when-unprivileged
  bool accept_volume_mounts = false;        // accept-nvidia-visible-devices-as-volume-mounts
  std::vector<std::string> supported_capabilities = {"compat32", "compute", "display", "graphics",
                                                     "ngx",      "utility", "video"};
  bool disable_require = false;               // disable-require
  bool ignore_imex_channel_requests = false;  // features.ignore-imex-channel-requests
};

struct Request {
  bool gpu_container = false;  // false: the hook has nothing to do (exit 0)
  // After §2.5's rules: ["all"], ["0", "1"], [""] for none. Volume-mount `cdi/` items appear as qualified CDI names
  // (vendor/class=name).
  std::vector<std::string> devices;
  // Where `devices` came from, for logs and `gpuhooks explain`: "NVIDIA_VISIBLE_DEVICES" (or the swarm-resource
  // names), "annotation nvidia.com/gpus", "volume mounts", "a legacy CUDA image's default"; empty for no request.
  std::string requested_by;
  std::vector<std::string> driver_capabilities;  // sorted, e.g. {"compute", "utility"}
  std::vector<std::string> requirements;         // raw values to evaluate (sorted); empty when disable_require
  bool disable_require = false;
  std::optional<std::string> mig_config_devices;   // NVIDIA_MIG_CONFIG_DEVICES when set and non-empty
  std::optional<std::string> mig_monitor_devices;  // NVIDIA_MIG_MONITOR_DEVICES when set and non-empty
  std::vector<std::string> imex_channels;          // channel ids; empty for none, all, void or no request
  bool privileged = false;
  bool legacy_image = false;          // CUDA_VERSION set, NVIDIA_REQUIRE_CUDA empty or unset (§2.5.1)
  std::vector<std::string> warnings;  // e.g. "Ignoring devices requested by environment variable(s) in ..."
};

// Throws Error (one line, the reference's wording where it has one) for what the hook rejects: an unsupported
// capability ("unsupported capabilities found in 'x' (allowed 'y')"), MIG devices in an unprivileged container, an
// invalid CUDA_VERSION in a legacy image.
Request read_request(const oci::ContainerConfig& config, const RequestOptions& options);

}  // namespace gpuhooks::request
