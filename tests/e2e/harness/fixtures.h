#pragma once
// Small programs and libraries the end-to-end tests put into containers, compiled from tests/e2e/fixtures/*.c with
// the host's cc into the e2e cache (once per source text and flags).
#include <filesystem>
#include <string>
#include <vector>

namespace gpuhooks::e2e {

// Compiles tests/e2e/fixtures/<source> with `cc <flags> -o <output_name>`; returns the output's path.
std::filesystem::path compile_fixture(const std::string& source, const std::vector<std::string>& flags,
                                      const std::string& output_name);

// A host "driver" directory as a driver install lays it out: libsimgpu.so.550.1 (soname libsimgpu.so.1,
// exporting `const char* simgpu_driver_version(void)` = "550.1") and the soname link libsimgpu.so.1 -> it.
// Created under `parent` (a test's scratch dir) and returned.
std::filesystem::path make_simgpu_driver_dir(const std::filesystem::path& parent);
inline constexpr const char* kSimgpuSoname = "libsimgpu.so.1";
inline constexpr const char* kSimgpuFile = "libsimgpu.so.550.1";

// dlopen-probe SONAME SYMBOL (dynamically linked against the rootfs's libc).
std::filesystem::path dlopen_probe();

// The harmless CVE-2025-23266 payload: a shared library that appends the loading program to kPreloadMarker.
std::filesystem::path preload_marker_library();
inline constexpr const char* kPreloadMarker = "/tmp/gpuhooks-e2e-preload-marker";

}  // namespace gpuhooks::e2e
