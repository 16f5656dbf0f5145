// update-application-profile: tell the EGL driver which GPUs the container sees (nvidia-hooks.md §1.7), by the
// same file libnvidia-container writes: a mask of the minors of the container's /dev/nvidia<N> char devices in
// /etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf. All access goes through the in-root API; where
// the reference's os.Root refuses an escaping symlink with an error, this re-roots it (same safety, no failure).
#include "common/cdihooks/update_application_profile.h"

#include <spdlog/spdlog.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

#include "common/cdihooks/hook.h"
#include "common/error.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::cdihook {

constexpr const char* kProfileDir = "/etc/nvidia/nvidia-application-profiles-rc.d";
constexpr const char* kProfileFile = "/etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf";

// The exact text of the reference (no spaces, lower-case hex, no trailing newline).
std::string application_profile(uint64_t mask) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(mask));
  return std::string(R"({"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",)") + hex +
         R"(]}],"rules":[{"pattern":[],"profile":"_container_"}]})";
}

namespace {

// "nvidia" and one or more digits (the reference's ^nvidia[0-9]+$). By hand: compiling the std::regex cost two
// million instructions, 40 % of a whole createContainer run of a GPU spec's hooks.
bool is_gpu_node_name(std::string_view name) {
  constexpr std::string_view prefix = "nvidia";
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return false;
  return std::all_of(name.begin() + prefix.size(), name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

// OR of 1<<minor over the /dev/nvidia<N> char devices; minors above 63 do not fit and are dropped with a warning.
uint64_t visible_gpu_mask(const rootfs::InRoot& root) {
  if (!root.is_directory("/dev")) return 0;
  uint64_t mask = 0;
  for (const auto& name : root.list_dir("/dev")) {
    if (!is_gpu_node_name(name)) continue;
    auto st = root.lstat("/dev/" + name);
    if (!st || !S_ISCHR(st->st_mode)) continue;
    unsigned minor_number = minor(st->st_rdev);
    if (minor_number > 63) {
      spdlog::warn("dropping invalid minor number {} of /dev/{}", minor_number, name);
      continue;
    }
    mask |= uint64_t{1} << minor_number;
  }
  return mask;
}

namespace {

class UpdateApplicationProfile : public Hook {
 public:
  std::string name() const override { return "update-application-profile"; }
  std::string description() const override {
    return "Update the NVIDIA application profile in the container with the visible GPUs";
  }
  void add_options(CLI::App&) override {}
  void run(Container& container) override {
    rootfs::InRoot root(container.root());
    uint64_t mask = visible_gpu_mask(root);
    if (mask == 0) {
      spdlog::debug("No GPU device nodes in the container; application profile left alone");
      return;
    }
    root.mkdir_all(kProfileDir, 0555);
    root.write_file(kProfileFile, application_profile(mask), 0444);
  }
};

}  // namespace

std::unique_ptr<Hook> make_update_application_profile() { return std::make_unique<UpdateApplicationProfile>(); }

}  // namespace gpuhooks::cdihook
