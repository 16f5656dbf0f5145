#include "common/ldcache/container_ldcache.h"

#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <exception>

#include "common/error.h"
#include "common/ldcache/cache_plan.h"
#include "common/ldcache/ld_so_conf.h"
#include "common/ldcache/linker_config_plan.h"
#include "common/rootfs/hook_deadline.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/isolated_root.h"
#include "common/rootfs/sealed_exec.h"

namespace gpuhooks::ldcache {
namespace {

constexpr const char* kTempCache = "/etc/ld.so.cache~";  // where ldconfig writes the new cache before its rename
// ldconfig's own allocations (the cache it builds, the lines it reads): a few MiB for thousands of libraries. The
// bound counts the heap and private writable maps, not the read-only maps of the libraries it inspects (ldconfig
// maps each library whole; CUDA's are hundreds of MiB to GiBs), which is why it is RLIMIT_DATA and not RLIMIT_AS.
constexpr rlim_t kMaxLdconfigData = rlim_t{1} << 30;

// The image's /etc/ld.so.cache~ is ldconfig's scratch name, overwritten by every run; anything but a regular file
// there (a FIFO blocks ldconfig's open for writing forever) is removed first.
void clear_temp_cache(const rootfs::InRoot& inside) {
  auto st = inside.lstat(kTempCache);
  if (st && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) inside.remove(kTempCache);
}

// The writer's part: true when it updated the cache, false (nothing written) when ldconfig must build it.
bool write_cache_ourselves(const rootfs::InRoot& root, const std::vector<std::string>& folders) {
  const auto arch = build_arch();
  std::string why_not;
  auto image = read_image_cache(root, arch, &why_not);
  try {
    if (image) {
      // The drop-ins first, as the ldconfig path writes them: they stay for the image's own ldconfig runs, and their
      // order is the directory order the plan follows.
      const LinkerConfigPlan config = plan_linker_config(root, folders, arch);
      apply_linker_config(root, config);
      CachePlan plan = plan_cache(root, *image, folders, config.configured_before, arch);
      if (plan.use_ldconfig.empty()) {
        apply_cache(root, plan);
        spdlog::debug(
            "Wrote the ldcache of {} ourselves: {} entries kept, {} of rescanned folders replaced by {}, {} "
            "soname links",
            rootfs::printable(root.host_path()), plan.kept, plan.dropped, plan.added, plan.links.size());
        return true;
      }
      why_not = plan.use_ldconfig;
    }
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (container root " + rootfs::printable(root.host_path()) + ")");
  }
  spdlog::debug("The ldcache of {} is left to ldconfig: {}", rootfs::printable(root.host_path()),
                rootfs::printable(why_not));
  return false;
}

// A run that fails (a full disk, ldconfig failing or past its deadline) leaves the image as it was: what it added to
// the linker configuration is taken back (undo_linker_config), and so is the half-written scratch cache ldconfig
// leaves behind when it fails.
class UndoWhenFailing {
 public:
  explicit UndoWhenFailing(const rootfs::InRoot& root)
      : root_(root), before_(linker_config_before(root)), had_temp_cache_(root.lstat(kTempCache).has_value()) {}
  ~UndoWhenFailing() {
    if (std::uncaught_exceptions() <= exceptions_) return;
    try {
      undo_linker_config(root_, before_);
      auto st = root_.lstat(kTempCache);
      if (!had_temp_cache_ && st && S_ISREG(st->st_mode)) root_.remove(kTempCache);
    } catch (const std::exception&) {
      // Best effort on the way out: the run's own error is the one reported.
    }
  }
  UndoWhenFailing(const UndoWhenFailing&) = delete;
  UndoWhenFailing& operator=(const UndoWhenFailing&) = delete;

 private:
  const rootfs::InRoot& root_;
  LinkerConfigBefore before_;
  bool had_temp_cache_;
  int exceptions_ = std::uncaught_exceptions();
};

}  // namespace

std::string host_ldconfig(std::string path) {
  const std::string real = ".real";
  if (path.size() > real.size() && path.compare(path.size() - real.size(), real.size(), real) == 0)
    path.resize(path.size() - real.size());
  struct stat st {};
  if (::stat((path + real).c_str(), &st) == 0) return path + real;
  return path;
}

void update_container_ldcache(const std::filesystem::path& root, const std::vector<std::string>& folders,
                              const std::string& ldconfig_path, CacheBuilder builder) {
  const std::string ldconfig = host_ldconfig(ldconfig_path);
  rootfs::InRoot host_view(root);  // fails early, with the root's name, when it is missing
  // The prestart hook comes here without the CDI hook's non_system_root(): the host's "/" under any name (a symlink
  // to it, a bind mount of it) would have ldconfig rewrite the host's own cache and drop-ins.
  if (host_view.is_host_root())
    throw Error("refusing to update the linker cache of container root " + rootfs::printable(root) +
                ": it is the host's root directory");
  refuse_read_only_root(host_view);
  UndoWhenFailing undo(host_view);  // for both builders: the writer also adds drop-ins before it writes the cache
  if (builder == CacheBuilder::kWriter && write_cache_ourselves(host_view, folders)) return;
  if (builder == CacheBuilder::kLdconfig) spdlog::debug("--use-ldconfig: the ldcache is built by ldconfig");
  auto binary = rootfs::SealedBinary::copy_of(ldconfig);
  const auto arch = build_arch();
  const std::vector<std::string> argv = {std::filesystem::path(ldconfig).filename().string(), "-f", "/etc/ld.so.conf",
                                         "-C", "/etc/ld.so.cache"};
  rootfs::IsolationOptions options;
  const auto timeout = rootfs::hook_timeout(std::getenv(rootfs::kHookTimeoutVariable));
  options.timeout = timeout;
  // ldconfig reads files and writes the cache and soname links in a root whose files root owns: plain root needs
  // no capability for that. CAP_DAC_OVERRIDE stays for images whose directories are not root's or not writable
  // by their owner (ldconfig would fail to write the cache, or skip a folder, where the reference's succeeds).
  rootfs::ExecConfinement confinement{{CAP_DAC_OVERRIDE}, kMaxLdconfigData, static_cast<rlim_t>(timeout.count())};
  spdlog::debug("Updating the ldcache of {} with {} ({} folders, {} s at most)", root.string(), ldconfig,
                folders.size(), timeout.count());
  rootfs::run_isolated_in_root(
      root, ldconfig,
      [&] {
        rootfs::InRoot inside("/");
        try {
          apply_linker_config(inside, plan_linker_config(inside, folders, arch));
          clear_temp_cache(inside);
        } catch (const Error& e) {
          // Inside, the root is "/": put the host name of the root back into the message.
          throw Error(std::string(e.what()) + " (container root " + rootfs::printable(root) + ")");
        }
        int err = binary.exec(argv, {}, &confinement);  // an empty environment: nothing of the hook's reaches ldconfig
        throw sys_error(
            "failed to execute " + rootfs::printable(ldconfig) + " in container root " + rootfs::printable(root), err);
      },
      options);
}

}  // namespace gpuhooks::ldcache
