#pragma once
// Docker Engine 20.10 (Debian's docker.io) with its own dockerd, run from a temp dir (runtimes.md §3a): private
// --data-root, --exec-root, --pidfile and unix socket, overlay2, no iptables and no bridge, so it shares nothing with
// a system Docker. dockerd registers its "nvidia" device driver (the --gpus path) only if
// `nvidia-container-runtime-hook` is on its PATH at start-up, and every hook it adds gets dockerd's whole
// environment (runtimes.md §3b, moby-gpus.md B.3). So dockerd starts with a bin dir holding a link to the hook under
// test (test::executable: the built one, or the installed one) first on its PATH, and with NVIDIA_CTK_CONFIG_FILE_PATH
// naming hook_config_file(), which tests write before a run. Containers always run with `--rm --network none`. The
// image is the busybox rootfs, brought in with `docker import`.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace gpuhooks::e2e {

class Docker {
 public:
  // Starts dockerd and waits (30 s at most) until it answers. Throws std::runtime_error, with the end of dockerd's
  // log, when docker.io is not installed or dockerd does not come up. `daemon_json`: dockerd's --config-file
  // (default: dockerd's own, /etc/docker/daemon.json).
  explicit Docker(const std::filesystem::path& daemon_json = {});
  // Stops dockerd (SIGTERM, then SIGKILL after 20 s) and unmounts whatever it left under its dirs.
  ~Docker();
  Docker(const Docker&) = delete;
  Docker& operator=(const Docker&) = delete;

  // The busybox rootfs as a local image, imported on the first call.
  const std::string& busybox_image();
  // docker run --rm --network none <options...> <busybox image> /bin/sh -c <script>
  test::RunResult run(const std::vector<std::string>& options, const std::string& script);
  // Any other docker command against this dockerd.
  test::RunResult docker(const std::vector<std::string>& args, int timeout_s = 60);

  // The config.toml every nvidia-container-runtime-hook that this dockerd starts reads. Empty until written.
  const std::filesystem::path& hook_config_file() const { return hook_config_; }
  // The temp dir holding the data root, exec root, socket and log: no mount of a test may remain under it.
  const std::filesystem::path& dir() const { return tmp_.path(); }
  const std::filesystem::path& data_root() const { return data_root_; }
  // The last `max` bytes of dockerd's log, for failure messages.
  std::string log_tail(size_t max = 4000) const;

 private:
  void wait_ready();
  void stop();

  test::TempDir tmp_;
  std::filesystem::path data_root_, exec_root_, socket_, log_, hook_config_;
  pid_t pid_ = -1;
  std::string image_;
};

// One Docker per test binary: dockerd's start-up and the image import are the slow part, so tests share it. A
// failed start is remembered and rethrown, so later tests fail at once instead of waiting for dockerd again.
Docker& shared_docker();

// A line of /proc/self/mountinfo: what of its filesystem is mounted (`root`) where (`mount_point`).
struct MountEntry {
  std::string root;
  std::string mount_point;
};
// The mounts in this process's mount namespace whose mount point or root is `dir` or below it, deepest mount point
// first (the order to unmount them in). A bind of a host file shows as its root wherever it is mounted; a root is a
// path in the mount's own filesystem, which for the temp dirs (on /'s filesystem) reads as the host path.
std::vector<MountEntry> mounts_under(const std::filesystem::path& dir);

}  // namespace gpuhooks::e2e
