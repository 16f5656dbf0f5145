#include "common/ldcache/container_ldcache.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/ldcache/linker_config_plan.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/isolated_root.h"
#include "common/rootfs/sealed_exec.h"

namespace gpuhooks::ldcache {

std::string host_ldconfig(std::string path) {
  const std::string real = ".real";
  if (path.size() > real.size() && path.compare(path.size() - real.size(), real.size(), real) == 0)
    path.resize(path.size() - real.size());
  struct stat st {};
  if (::stat((path + real).c_str(), &st) == 0) return path + real;
  return path;
}

void update_container_ldcache(const std::filesystem::path& root, const std::vector<std::string>& folders,
                              const std::string& ldconfig_path) {
  const std::string ldconfig = host_ldconfig(ldconfig_path);
  rootfs::InRoot host_view(root);  // fails early, with the root's name, when it is missing
  refuse_read_only_root(host_view);
  auto binary = rootfs::SealedBinary::copy_of(ldconfig);
  const auto arch = build_arch();
  const std::vector<std::string> argv = {std::filesystem::path(ldconfig).filename().string(), "-f", "/etc/ld.so.conf",
                                         "-C", "/etc/ld.so.cache"};
  spdlog::debug("Updating the ldcache of {} with {} ({} folders)", root.string(), ldconfig, folders.size());
  rootfs::run_isolated_in_root(root, ldconfig, [&] {
    rootfs::InRoot inside("/");
    try {
      apply_linker_config(inside, plan_linker_config(inside, folders, arch));
    } catch (const Error& e) {
      // Inside, the root is "/": put the host name of the root back into the message.
      throw Error(std::string(e.what()) + " (container root " + root.string() + ")");
    }
    int err = binary.exec(argv, {});  // an empty environment: nothing of the hook's reaches ldconfig
    throw sys_error("failed to execute " + ldconfig + " in container root " + root.string(), err);
  });
}

}  // namespace gpuhooks::ldcache
