// disable-device-node-modification: stop the NVIDIA driver in the container from creating or changing device nodes,
// by showing it /proc/driver/nvidia/params with ModifyDeviceFiles: 0 (nvidia-hooks.md §1.6). The mount is made in
// the container's mount namespace (the hook runs there), onto the target opened through the in-root API.
//
// Difference from the reference, on purpose: no /run/nvidia-ctk-hook<uuid> directory or tmpfs is left in the
// rootfs, and the replacement is really read-only (rootfs/memory_file_mount.h).
#include "common/cdihooks/disable_device_node_modification.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/memory_file_mount.h"
#include "common/cdihooks/hook.h"

namespace gpuhooks::cdihook {

constexpr const char* kParamsPath = "/proc/driver/nvidia/params";

std::optional<std::string> params_without_device_modification(const std::string& params) {
  std::stringstream in(params);
  std::string line, out;
  bool modify = false;
  while (std::getline(in, line)) {
    if (line == "ModifyDeviceFiles: 0") return std::nullopt;
    if (line == "ModifyDeviceFiles: 1") {
      line = "ModifyDeviceFiles: 0";
      modify = true;
    }
    out += line + "\n";
  }
  if (!modify) return std::nullopt;
  return out;
}

namespace {

std::optional<std::string> read_host_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class DisableDeviceNodeModification : public Hook {
 public:
  std::string name() const override { return "disable-device-node-modification"; }
  std::string description() const override {
    return "Ensure that the /proc/driver/nvidia/params file present in the container does not allow device node "
           "modifications.";
  }
  void add_options(CLI::App& app) override {
    // Tests only: where the host's parameters are read. Hidden; a spec has no reason to set it.
    app.add_option("--host-params-path", host_params_path_, "Host NVIDIA params file (testing only)")->group("");
  }
  void run(Container& container) override {
    auto params = read_host_file(host_params_path_);
    if (!params) {
      spdlog::debug("No {} on the host; nothing to do", host_params_path_);
      return;
    }
    auto modified = params_without_device_modification(*params);
    if (!modified) return;
    rootfs::InRoot root(container.root());
    UniqueFd target = root.open(kParamsPath, O_PATH);
    rootfs::mount_memory_file_over(
        target.get(), *modified, 0444,
        std::string(kParamsPath) + " in container root " + rootfs::printable(root.host_path()));
  }

 private:
  std::string host_params_path_ = kParamsPath;
};

}  // namespace

std::unique_ptr<Hook> make_disable_device_node_modification() {
  return std::make_unique<DisableDeviceNodeModification>();
}

}  // namespace gpuhooks::cdihook
