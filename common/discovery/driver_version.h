#pragma once
// The driver's version, read the ways the reference reads it (nvidia-hooks.md §3.2 "Driver version",
// libnvidia-container.md A.3.6): the kernel module's /proc/driver/nvidia/version first, else the suffix of the
// versioned user-space libraries (libcuda.so.<version>, then libnvidia-ml.so.<version>).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace gpuhooks::discovery {

// "580.159.04" from the text of /proc/driver/nvidia/version: the first version-shaped word after "Kernel Module"
// (both the proprietary "Kernel Module  550.54.14  Thu Feb 22 …" and the open "Open Kernel Module for x86_64
// 580.159.04  Release Build" forms). nullopt when there is none.
std::optional<std::string> parse_proc_version(std::string_view text);

// The text of a /proc/driver/nvidia/version file (the first 4 KiB: the module writes one or two lines); nullopt when
// it cannot be opened, as on a host with no kernel module loaded.
std::optional<std::string> read_proc_version_file(const std::filesystem::path& file);

// "580.159.04" from "libcuda.so.580.159.04" with stem "libcuda.so"; nullopt unless the suffix has at least two
// numeric components ("libcuda.so.1" is a soname, not a version).
std::optional<std::string> version_from_library_name(std::string_view file_name, std::string_view stem);

// True for "580", "580.159.04": digits separated by single dots.
bool is_version_string(std::string_view text);

// NVML's CUDA driver version integer as "major.minor": 13000 -> "13.0", 12040 -> "12.4".
std::string cuda_version_string(int nvml_cuda_version);

}  // namespace gpuhooks::discovery
