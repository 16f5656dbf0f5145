#include "e2e/harness/runc.h"

#include <unistd.h>

#include <atomic>

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

const char* const kRunc = "/usr/sbin/runc";
// runc passes its own environment to hooks without an "env" key (runtimes.md §1c); keep it small and known.
const std::vector<std::string> kRuncEnv = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};

class ContainerCleanup {
 public:
  ContainerCleanup(fs::path state_dir, std::string id) : state_dir_(std::move(state_dir)), id_(std::move(id)) {}
  ~ContainerCleanup() {
    // Ignore the result: after a clean run there is nothing left to delete.
    test::run({kRunc, "--root", state_dir_.string(), "delete", "--force", id_}, "", kRuncEnv);
  }

 private:
  fs::path state_dir_;
  std::string id_;
};

}  // namespace

std::string unique_container_id() {
  static std::atomic<int> counter{0};
  return "gpuhooks-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

test::RunResult run_runc(const Bundle& bundle, int timeout_s, Cgroups cgroups) {
  bundle.write_config();
  const fs::path state_dir = bundle.scratch("runc-state");
  const std::string id = unique_container_id();
  ContainerCleanup cleanup(state_dir, id);
  std::vector<std::string> argv = {kRunc, "--root", state_dir.string(), "run", "--bundle", bundle.dir().string(), id};
  if (cgroups == Cgroups::kV2) {
    // runtimes.md §1e: in a private mount namespace with cgroup2 on /sys/fs/cgroup, runc runs in unified mode.
    argv.insert(argv.begin(),
                {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                 "umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh"});
  }
  return test::run(test::with_timeout(timeout_s, argv), "", kRuncEnv);
}

}  // namespace gpuhooks::e2e
