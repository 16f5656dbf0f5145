#pragma once
// NVML loaded at run time with dlopen, as the reference does (go-nvml; libnvidia-container's nvc:[driver]), through
// our own minimal declarations of the few calls we make: no NVIDIA header or library is needed to build. The
// library is opened by its full path in the driver root, so discovery of a driver root other than "/" talks to
// that root's libnvidia-ml.so.1.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/discovery/gpu.h"

namespace gpuhooks::discovery {

struct NvmlReport {
  std::string driver_version;   // nvmlSystemGetDriverVersion
  int cuda_driver_version = 0;  // nvmlSystemGetCudaDriverVersion, e.g. 13000
  std::vector<Gpu> gpus;        // pci_bus_id in the 16-bit domain form; MIG devices without cap minors
};

// dlopen(library) + nvmlInit_v2 + enumeration + nvmlShutdown + dlclose. Throws Error naming the library and the
// failing call ("…/libnvidia-ml.so.1: nvmlInit_v2: Driver Not Loaded") so callers can report why they fell back.
NvmlReport query_nvml(const std::filesystem::path& library);

// nvmlBrandType_t as libnvidia-container names it, lower case ("nvidia" for 14, "tesla" for 2); "unknown" for 0 and
// values it does not know.
std::string brand_name(int nvml_brand);

// "00000000:00:06.0" (NVML) -> "0000:00:06.0": the form /proc/driver/nvidia/gpus, sysfs and by-path links use.
std::string short_pci_bus_id(const std::string& nvml_bus_id);

}  // namespace gpuhooks::discovery
