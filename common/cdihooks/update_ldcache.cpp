// update-ldcache --folder DIR... [--ldconfig-path P] [--use-ldconfig]: make the container's linker cache index the
// injected driver libraries (nvidia-hooks.md §1.4); the work is common/ldcache/container_ldcache.h.
//
// Differences from the reference, on purpose: the cache is written by our own writer where the image has a cache it
// can read (common/ldcache/cache_plan.h), with no process started; ldconfig, as the reference runs it, otherwise or
// with --use-ldconfig. For ldconfig: no re-exec of /proc/self/exe (one clone with the namespace flags);
// nothing is bind-mounted or left in the rootfs (the reference leaves /run/nvidia-ctk-hook/<uuid>); a read-only
// root and a /etc or /etc/ld.so.conf.d symlinked out of the root are refused with one clear line; ldconfig has a
// deadline (NVIDIA_CTK_HOOK_TIMEOUT, see --help), one capability, no_new_privs and no inherited descriptor.
#include "common/cdihooks/hook.h"
#include "common/error.h"
#include "common/ldcache/container_ldcache.h"

namespace gpuhooks::cdihook {
namespace {

class UpdateLdcache : public Hook {
 public:
  std::string name() const override { return "update-ldcache"; }
  std::string description() const override { return "Update ldcache in a container by running ldconfig"; }
  void add_options(CLI::App& app) override {
    app.add_option("--folder", folders_, "Folder to add to /etc/ld.so.conf (repeatable, comma-separated)")
        ->delimiter(',');
    app.add_option("--ldconfig-path", ldconfig_path_, "Path to ldconfig on the host")->capture_default_str();
    app.add_flag("--use-ldconfig", use_ldconfig_,
                 "Build the cache with the host's ldconfig in the container root, as the reference does, instead of "
                 "updating the image's cache in this process (ldconfig is also used whenever the image has no "
                 "/etc/ld.so.cache, one that cannot be read, or a folder with glibc-hwcaps or other "
                 "hardware-capability subdirectories)");
    app.footer(std::string("Environment:\n  ") + rootfs::kHookTimeoutVariable +
               "=SECONDS  how long ldconfig may run in the container root (whole seconds, 1 to " +
               std::to_string(rootfs::kMaxHookTimeout.count()) + "; default " +
               std::to_string(rootfs::kDefaultHookTimeout.count()) +
               "). Past it ldconfig is killed and the hook fails, so a hostile image cannot hold the container start.");
  }
  void validate() override {
    if (ldconfig_path_.empty()) throw Error("ldconfig-path must be specified");
  }
  void run(Container& container) override {
    ldcache::update_container_ldcache(
        container.non_system_root(), folders_, ldconfig_path_,
        use_ldconfig_ ? ldcache::CacheBuilder::kLdconfig : ldcache::CacheBuilder::kWriter);
  }

 private:
  std::vector<std::string> folders_;
  std::string ldconfig_path_ = "/sbin/ldconfig";
  bool use_ldconfig_ = false;
};

}  // namespace

std::unique_ptr<Hook> make_update_ldcache() { return std::make_unique<UpdateLdcache>(); }

}  // namespace gpuhooks::cdihook
