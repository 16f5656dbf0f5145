#pragma once
// The GPUs as the kernel module lists them in /proc/driver/nvidia/gpus/<bus>/information: the fallback when NVML
// is absent or fails (the file gives model, UUID, bus location and minor; not MIG devices), and the MIG
// capability minors of /proc/driver/nvidia-caps/mig-minors.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/discovery/gpu.h"

namespace gpuhooks::discovery {

// Parses one information file ("Model: \t\t NVIDIA H100 80GB HBM3", "GPU UUID: \t GPU-…", "Bus Location: \t
// 0000:00:06.0", "Device Minor: \t 0"). Throws Error naming `origin` and the missing or bad field.
Gpu parse_gpu_information(std::string_view text, const std::string& origin);

// Every <proc_dir>/gpus/*/information, in PCI bus order, indexed 0..n-1 as NVML would. Throws Error when the
// directory is missing or a file is malformed.
std::vector<Gpu> read_proc_gpus(const std::filesystem::path& proc_driver_nvidia);

// "gpu0/gi1/access 12" lines -> {"gpu0/gi1/access": 12}. Throws Error naming the line when it is malformed.
std::map<std::string, int> parse_mig_minors(std::string_view text, const std::string& origin);

// True for a GPU UUID "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, case-insensitive) or a MIG one ("MIG-…").
bool is_device_uuid(std::string_view text);

}  // namespace gpuhooks::discovery
