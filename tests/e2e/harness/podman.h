#pragma once
// podman 4.3 with private storage (`--root`/`--runroot` in a temp dir) and a containers.conf that makes it work on
// this machine (runtimes.md §2a): runc as the runtime, ulimits capped at nofile=20000 and nproc=32768 (root has no
// CAP_SYS_RESOURCE, so podman's defaults fail), cgroupfs (no systemd), no event log. Containers always run with
// `--rm --network none`. The image is the busybox rootfs, brought in with `podman import` (no registry).
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace gpuhooks::e2e {

class Podman {
 public:
  Podman();
  ~Podman();
  Podman(const Podman&) = delete;
  Podman& operator=(const Podman&) = delete;

  // The busybox rootfs as a local image, imported on the first call.
  const std::string& busybox_image();
  // podman run --rm --network none <options...> <image> <command...>; the image defaults to busybox_image().
  test::RunResult run(const std::vector<std::string>& options, const std::vector<std::string>& command,
                      const std::string& image = "");
  // Any other podman command against the private storage.
  test::RunResult podman(const std::vector<std::string>& args, int timeout_s = 120);

  const std::filesystem::path& containers_conf() const { return conf_; }

 private:
  test::TempDir tmp_;
  std::filesystem::path conf_;
  std::string image_;
};

// One Podman per test binary: importing the image is the slow part, so tests share it.
Podman& shared_podman();

// A CDI spec installed in /etc/cdi for the lifetime of the object: podman 4.3 reads only /etc/cdi and /var/run/cdi
// and ignores cdi_spec_dirs (runtimes.md §2c). The file name is unique to this process.
class InstalledCdiSpec {
 public:
  explicit InstalledCdiSpec(const std::string& content, const std::string& extension = "json");
  ~InstalledCdiSpec();
  InstalledCdiSpec(const InstalledCdiSpec&) = delete;
  InstalledCdiSpec& operator=(const InstalledCdiSpec&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gpuhooks::e2e
