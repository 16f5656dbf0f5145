#pragma once
// Docker's `--gpus` (moby-gpus.md): the docker CLI turns the option into a DeviceRequest (docker/cli opts/gpus.go,
// §B.2 notes), and dockerd >= 29.2 serves it CDI-first (§B.1.2-B.1.5): the IDs become CDI names (default kind
// nvidia.com/gpu) and are injected when every one resolves; otherwise nvidia-container-runtime-hook is used with
// NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/cdi/registry/registry.h"

namespace gpuhooks::cdi {

inline constexpr std::string_view kDefaultGpuKind = "nvidia.com/gpu";

struct DeviceRequest {
  std::string driver;
  int64_t count = 0;  // -1: all
  std::vector<std::string> device_ids;
  std::vector<std::vector<std::string>> capabilities;  // OR of ANDs; the CLI always appends "gpu"
  std::map<std::string, std::string> options;
  bool operator==(const DeviceRequest&) const = default;
};

// docker/cli's GpuOpts.Set: one CSV record; `all` / N / count= / device= / capabilities= / driver= / options=.
// Errors are docker's, wrapped as pflag does: `invalid argument "<value>" for "--gpus" flag: <err>`.
DeviceRequest parse_gpus_option(std::string_view value);

// The largest count requested_device_ids() turns into IDs.
inline constexpr int64_t kMaxGpuCount = 4096;

// getRequestedDevicesIDs: IDs; N -> "0".."N-1"; all -> {"all"}; 0 -> {}.
// Throws Error("cannot set both Count and DeviceIDs on device request"), and
// Error("device request count N is more than 4096 GPUs") where Docker would build N names however large N is.
std::vector<std::string> requested_device_ids(const DeviceRequest& request);

// normalizeDeviceID: an ID that contains '=' is kept; otherwise "<kind>=<id>".
std::string cdi_name_for_gpu(std::string_view id, std::string_view kind = kDefaultGpuKind);

// What dockerd knows at start-up: which NVIDIA binaries were in its PATH, and whether the CDI driver is on.
struct DockerGpuSetup {
  bool cdi_enabled = true;       // features.cdi not false, spec dirs given
  bool has_cdi_hook = true;      // nvidia-cdi-hook found -> driver "nvidia.cdi"
  bool has_runtime_hook = true;  // nvidia-container-runtime-hook found -> driver "nvidia.runtime-hook"
  std::string default_kind = std::string(kDefaultGpuKind);
};

struct GpuDecision {
  enum class Path { kNone, kCdi, kLegacyHook };
  Path path = Path::kNone;
  std::vector<std::string> cdi_devices;  // what the CDI path asks for (also when it falls back)
  std::vector<std::string> legacy_env;   // NVIDIA_VISIBLE_DEVICES=..., NVIDIA_DRIVER_CAPABILITIES=... (legacy path)
  std::string reason;                    // why this path: the CDI failure text when falling back
};

std::string_view to_string(GpuDecision::Path path);  // "none", "cdi", "legacy"

// The decision dockerd makes for one request (handleDevice + firstSuccessfulUpdater). CDI "succeeds" when every name
// resolves and the edits apply to an empty spec (host device nodes can be read). Throws Error when Docker would fail
// the container: no driver matches (`could not select device driver "" with capabilities: [[ngx gpu]]`), Count with
// DeviceIDs, or CDI failing with no runtime hook to fall back to.
GpuDecision decide_gpus(const DeviceRequest& request, const Registry& registry, const DockerGpuSetup& setup = {});

}  // namespace gpuhooks::cdi
