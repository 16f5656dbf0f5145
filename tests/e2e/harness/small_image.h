#pragma once
// A small container image for running nvidia-cdi-hook directly (no runc): the linker configuration of a Debian image,
// one library in a system folder with an ld.so.cache that indexes it (made by the host's ldconfig), and the
// simulated driver folder (libsimgpu and its soname link, as a driver mount brings them) that the cache does not
// index yet. A few hundred KiB, so a test can copy it for every run or fit it on a small tmpfs.
#include <filesystem>
#include <string>

namespace gpuhooks::e2e {

inline constexpr const char* kSmallImageDriverDir = "/usr/lib/simgpu";

void make_small_image(const std::filesystem::path& root);

// The OCI state nvidia-cdi-hook reads on stdin for a bundle whose config.json names `rootfs` as its root; the
// config.json is written into `bundle`.
std::string state_for_bundle(const std::filesystem::path& bundle, const std::string& rootfs = "rootfs");

}  // namespace gpuhooks::e2e
