#pragma once
// Discovery of a GPU host from a driver root and a dev root (everything read relative to them): the driver's
// version, the GPUs, the device nodes and the driver's files. The result is plain data (design.md: a plan) that
// `gpuhooks cdi generate` turns into a CDI spec; nothing here writes anything. Missing pieces are listed in
// `missing`, never guessed; a root without a driver is an Error that names what was looked for.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/discovery/capability.h"
#include "common/discovery/device_nodes.h"
#include "common/discovery/driver_files.h"
#include "common/discovery/gpu.h"

namespace gpuhooks::discovery {

struct DiscoveryOptions {
  std::filesystem::path driver_root = "/";
  std::filesystem::path dev_root;  // empty: the driver root (nvidia-ctk --dev-root default)
  std::vector<Capability> capabilities = {Capability::kUtility,  Capability::kCompute, Capability::kVideo,
                                          Capability::kGraphics, Capability::kDisplay, Capability::kNgx};
  DriverFilesOptions files;
  bool use_nvml = true;  // false: GPUs from /proc only
  std::string ldcache =
      "/etc/ld.so.cache";  // the driver root's linker cache, a path inside it (nvidia-container-cli.ldcache)
};

// DriverFilesOptions from this process: $PATH, $XDG_DATA_DIRS, uname -r.
DriverFilesOptions files_options_from_environment();

struct HostDiscovery {
  std::filesystem::path driver_root;
  std::filesystem::path dev_root;
  std::string driver_version;         // "580.159.04"
  std::string driver_version_source;  // "/proc/driver/nvidia/version", "NVML", "libcuda.so.580.159.04"
  std::string cuda_version;           // "13.0"; empty when NVML was not available
  GpuSource gpu_source = GpuSource::kNvml;
  std::string nvml_library;  // in-root path of the libnvidia-ml.so.1 used; empty when none was found
  std::string nvml_error;    // why NVML was not used, when it was not
  double nvml_ms = 0;        // time spent loading and querying NVML
  std::vector<Gpu> gpus;
  std::vector<DeviceNode> control_nodes;
  DriverFiles files;
  std::vector<std::pair<std::string, std::string>> library_links;  // create-symlinks TARGET::LINK pairs, in order
  std::vector<std::string> missing;
};

HostDiscovery discover_host(const DiscoveryOptions& options);

}  // namespace gpuhooks::discovery
