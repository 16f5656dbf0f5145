#pragma once
#include <optional>
#include <string>

namespace gpuhooks::cdihook {

// The host's NVIDIA driver parameters with "ModifyDeviceFiles: 1" turned into "ModifyDeviceFiles: 0"
// (nvidia-hooks.md §1.6): line by line, each output line ending in "\n"; only exact lines count (no trimming).
// nullopt when no change is needed (no "ModifyDeviceFiles: 1" line).
std::optional<std::string> params_without_device_modification(const std::string& params);

}  // namespace gpuhooks::cdihook
