#include "common/discovery/device_nodes.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"

namespace gpuhooks::discovery {

std::optional<DeviceNode> find_char_device(const std::filesystem::path& dev_root, const std::string& path) {
  std::string host = (dev_root / std::filesystem::path(path).relative_path()).string();
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return std::nullopt;
  DeviceNode n;
  n.path = path;
  n.host_path = host;
  n.major = ::major(st.st_rdev);
  n.minor = ::minor(st.st_rdev);
  n.mode = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  return n;
}

std::vector<DeviceNode> find_control_nodes(const std::filesystem::path& dev_root, std::vector<std::string>* missing) {
  std::vector<DeviceNode> nodes;
  for (const char* path : {"/dev/nvidia-modeset", "/dev/nvidia-uvm-tools", "/dev/nvidia-uvm", "/dev/nvidiactl"}) {
    if (auto n = find_char_device(dev_root, path)) {
      nodes.push_back(*n);
    } else if (missing) {
      missing->push_back(path);
    }
  }
  return nodes;
}

static std::vector<std::string> drm_names(const std::filesystem::path& dev_root, const Gpu& gpu) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(dev_root / "sys/bus/pci/devices" / gpu.pci_bus_id / "drm", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("card", 0) == 0 || name.rfind("renderD", 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());  // card* before renderD*
  return names;
}

std::vector<DeviceNode> find_gpu_nodes(const std::filesystem::path& dev_root, const Gpu& gpu) {
  std::string path = "/dev/nvidia" + std::to_string(gpu.minor);
  auto node = find_char_device(dev_root, path);
  if (!node) {
    throw Error("GPU " + std::to_string(gpu.index) + " (" + gpu.uuid + "): device node " +
                (dev_root / path.substr(1)).string() + " is missing or not a character device");
  }
  std::vector<DeviceNode> nodes{*node};
  for (const auto& name : drm_names(dev_root, gpu)) {
    if (auto drm = find_char_device(dev_root, "/dev/dri/" + name)) nodes.push_back(*drm);
  }
  return nodes;
}

std::vector<std::pair<std::string, std::string>> find_drm_by_path_links(const std::filesystem::path& dev_root,
                                                                        const Gpu& gpu) {
  std::vector<std::pair<std::string, std::string>> links;
  for (const char* kind : {"card", "render"}) {
    std::string link = "/dev/dri/by-path/pci-" + gpu.pci_bus_id + "-" + kind;
    std::string host = (dev_root / link.substr(1)).string();
    char target[4096];
    ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
    if (n > 0) links.emplace_back(std::string(target, static_cast<size_t>(n)), link);
  }
  return links;
}

std::vector<DeviceNode> find_mig_nodes(const std::filesystem::path& dev_root, const Gpu& parent, const MigDevice& mig) {
  std::vector<DeviceNode> nodes = {find_gpu_nodes(dev_root, parent).front()};
  for (int minor : {mig.gi_cap_minor, mig.ci_cap_minor}) {
    if (minor < 0) {
      throw Error("MIG device " + mig.uuid + ": no capability minor in /proc/driver/nvidia-caps/mig-minors for GPU " +
                  std::to_string(parent.minor) + " GI " + std::to_string(mig.gpu_instance) + " CI " +
                  std::to_string(mig.compute_instance));
    }
    std::string path = "/dev/nvidia-caps/nvidia-cap" + std::to_string(minor);
    auto node = find_char_device(dev_root, path);
    if (!node) throw Error("MIG device " + mig.uuid + ": " + (dev_root / path.substr(1)).string() + " is missing");
    nodes.push_back(*node);
  }
  return nodes;
}

}  // namespace gpuhooks::discovery
