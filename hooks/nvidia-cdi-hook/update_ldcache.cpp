// update-ldcache --folder DIR... [--ldconfig-path P]: make the container's linker cache index the injected driver
// libraries (nvidia-hooks.md §1.4). The host ldconfig is copied into a sealed memfd here, on the host view; then a
// child in fresh namespaces pivots into the container root, writes the linker configuration there (paths are
// container paths after the pivot) and replaces itself with that copy, with an empty environment and the
// reference's exact argv: [basename, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache"].
//
// Differences from the reference, on purpose: no re-exec of /proc/self/exe (one clone with the namespace flags);
// nothing is bind-mounted or left in the rootfs (the reference leaves /run/nvidia-ctk-hook/<uuid>); a read-only
// root and a /etc or /etc/ld.so.conf.d symlinked out of the root are refused with one clear line.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/ldcache/linker_config_plan.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/isolated_root.h"
#include "common/rootfs/sealed_exec.h"
#include "hook.h"

namespace gpuhooks::cdihook {
namespace {

// Ubuntu's /sbin/ldconfig is a shell script around /sbin/ldconfig.real; the binary is what must be carried in.
// Checked on the host view, before any namespace is entered (reference: strip ".real", then prefer "<p>.real").
std::string host_ldconfig(std::string path) {
  const std::string real = ".real";
  if (path.size() > real.size() && path.compare(path.size() - real.size(), real.size(), real) == 0)
    path.resize(path.size() - real.size());
  struct stat st {};
  if (::stat((path + real).c_str(), &st) == 0) return path + real;
  return path;
}

class UpdateLdcache : public Hook {
 public:
  std::string name() const override { return "update-ldcache"; }
  std::string description() const override { return "Update ldcache in a container by running ldconfig"; }
  void add_options(CLI::App& app) override {
    app.add_option("--folder", folders_, "Folder to add to /etc/ld.so.conf (repeatable, comma-separated)")
        ->delimiter(',');
    app.add_option("--ldconfig-path", ldconfig_path_, "Path to ldconfig on the host")->capture_default_str();
  }
  void validate() override {
    if (ldconfig_path_.empty()) throw Error("ldconfig-path must be specified");
  }
  void run(Container& container) override {
    const auto root = container.non_system_root();
    const std::string ldconfig = host_ldconfig(ldconfig_path_);
    rootfs::InRoot host_view(root);  // fails early, with the root's name, when it is missing
    ldcache::refuse_read_only_root(host_view);
    auto binary = rootfs::SealedBinary::copy_of(ldconfig);
    const auto arch = ldcache::build_arch();
    const std::vector<std::string> argv = {std::filesystem::path(ldconfig).filename().string(), "-f", "/etc/ld.so.conf",
                                           "-C", "/etc/ld.so.cache"};
    spdlog::debug("Updating the ldcache of {} with {} ({} folders)", root.string(), ldconfig, folders_.size());
    rootfs::run_isolated_in_root(root, ldconfig, [&] {
      rootfs::InRoot inside("/");
      try {
        ldcache::apply_linker_config(inside, ldcache::plan_linker_config(inside, folders_, arch));
      } catch (const Error& e) {
        // Inside, the root is "/": put the host name of the root back into the message.
        throw Error(std::string(e.what()) + " (container root " + root.string() + ")");
      }
      int err = binary.exec(argv, {});  // an empty environment: nothing of the hook's reaches ldconfig
      throw sys_error("failed to execute " + ldconfig + " in container root " + root.string(), err);
    });
  }

 private:
  std::vector<std::string> folders_;
  std::string ldconfig_path_ = "/sbin/ldconfig";
};

}  // namespace

std::unique_ptr<Hook> make_update_ldcache() { return std::make_unique<UpdateLdcache>(); }

}  // namespace gpuhooks::cdihook
