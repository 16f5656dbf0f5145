#pragma once
// What discovery knows about the GPUs: plain data, from NVML (nvml.h) or /proc (proc_gpus.h).
#include <string>
#include <vector>

namespace gpuhooks::discovery {

struct MigDevice {
  unsigned index = 0;  // position among the parent's MIG devices (the "M" of a "N:M" name)
  unsigned gpu_instance = 0;
  unsigned compute_instance = 0;
  std::string uuid;       // "MIG-…"
  std::string name;       // NVML's name, e.g. "NVIDIA H100 80GB HBM3 MIG 3g.40gb" (empty from /proc)
  int gi_cap_minor = -1;  // /proc/driver/nvidia-caps/mig-minors "gpu<minor>/gi<G>/access"; -1 when not listed
  int ci_cap_minor = -1;  // "gpu<minor>/gi<G>/ci<C>/access"
};

struct Gpu {
  unsigned index = 0;      // NVML enumeration order (PCI bus order)
  unsigned minor = 0;      // /dev/nvidia<minor>
  std::string uuid;        // "GPU-…"
  std::string pci_bus_id;  // "0000:00:06.0": the 16-bit domain form /proc, sysfs and /dev/dri/by-path use
  std::string model;       // "NVIDIA H100 80GB HBM3"
  bool mig_enabled = false;
  std::vector<MigDevice> migs;
  // For NVIDIA_REQUIRE_* (libnvidia-container.md A.3.5): NVML's brand, lower case ("nvidia", "tesla", ...), and
  // compute capability ("9.0"); empty when unknown (from /proc, or an NVML without the call).
  std::string brand;
  std::string compute_capability;
};

// Where the GPU list came from, for the report and --debug.
enum class GpuSource { kNvml, kProcFallback };

}  // namespace gpuhooks::discovery
