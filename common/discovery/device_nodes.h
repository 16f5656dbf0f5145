#pragma once
// Device nodes as they are on the host, read from the node itself (type, major/minor, mode, owner): never
// assumed, so a spec carries what the runtime must create (nvidia-hooks.md §3.2 "Device nodes").
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/discovery/gpu.h"

namespace gpuhooks::discovery {

struct DeviceNode {
  std::string path;       // in the container and on a real host: "/dev/nvidia0"
  std::string host_path;  // where it is under the dev root: "<dev-root>/dev/nvidia0"
  unsigned major = 0;
  unsigned minor = 0;
  unsigned mode = 0;  // permission bits, e.g. 0666
  unsigned uid = 0;
  unsigned gid = 0;
  bool operator==(const DeviceNode&) const = default;
};

// stat() of <dev_root><path>; nullopt when it is missing or not a character device.
std::optional<DeviceNode> find_char_device(const std::filesystem::path& dev_root, const std::string& path);

// The driver-wide nodes that exist, in the reference's order: /dev/nvidia-modeset, /dev/nvidia-uvm-tools,
// /dev/nvidia-uvm, /dev/nvidiactl. `missing` gets the paths that do not.
std::vector<DeviceNode> find_control_nodes(const std::filesystem::path& dev_root, std::vector<std::string>* missing);

// A full GPU's nodes: /dev/nvidia<minor>, then its DRM card and render nodes (read from
// <dev_root>/sys/bus/pci/devices/<bus>/drm). Throws Error when /dev/nvidia<minor> is missing.
std::vector<DeviceNode> find_gpu_nodes(const std::filesystem::path& dev_root, const Gpu& gpu);

// A GPU's DRM by-path links: {"../card1", "/dev/dri/by-path/pci-0000:00:06.0-card"} (target = readlink on the
// host), for the create-symlinks hook. Empty when the GPU has no DRM nodes.
std::vector<std::pair<std::string, std::string>> find_drm_by_path_links(const std::filesystem::path& dev_root,
                                                                        const Gpu& gpu);

// A MIG device's nodes: the parent's /dev/nvidia<minor> and its GI and CI access capability nodes
// /dev/nvidia-caps/nvidia-cap<N>. Throws Error when one is missing.
std::vector<DeviceNode> find_mig_nodes(const std::filesystem::path& dev_root, const Gpu& parent, const MigDevice& mig);

}  // namespace gpuhooks::discovery
