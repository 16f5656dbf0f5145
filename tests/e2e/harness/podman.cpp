#include "e2e/harness/podman.h"

#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include "e2e/harness/busybox_rootfs.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

const char* const kPodman = "/usr/bin/podman";
const char* const kImageName = "localhost/gpuhooks-e2e-busybox:latest";

std::string containers_conf_text(const fs::path& tmp_dir) {
  return "[containers]\n"
         "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
         "[engine]\n"
         "runtime = \"runc\"\n"
         "cgroup_manager = \"cgroupfs\"\n"
         "events_logger = \"none\"\n"
         "tmp_dir = \"" +
         tmp_dir.string() + "\"\n";
}

}  // namespace

Podman::Podman() : conf_(tmp_ / "containers.conf") {
  fs::create_directories(tmp_ / "tmp");
  test::write_file(conf_, containers_conf_text(tmp_ / "tmp"));
}

Podman::~Podman() {
  // Containers run with --rm; this only matters after a killed run, whose overlay mount would block the removal.
  podman({"rm", "--all", "--force"}, 60);
}

test::RunResult Podman::podman(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv{kPodman, "--root", (tmp_ / "root").string(), "--runroot", (tmp_ / "runroot").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(test::with_timeout(timeout_s, argv), "",
                   {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + tmp_.path().string(),
                    "CONTAINERS_CONF=" + conf_.string()});
}

const std::string& Podman::busybox_image() {
  if (!image_.empty()) return image_;
  const fs::path tarball = tmp_ / "busybox-rootfs.tar";
  auto tar = test::run({"/bin/tar", "-C", busybox_rootfs_template().string(), "-cf", tarball.string(), "."});
  if (tar.exit_code != 0) throw std::runtime_error("tar of the busybox rootfs failed: " + tar.err);
  auto r = podman({"import", "--quiet", tarball.string(), kImageName});
  if (r.exit_code != 0) throw std::runtime_error("podman import failed: " + r.err);
  fs::remove(tarball);
  image_ = kImageName;
  return image_;
}

test::RunResult Podman::run(const std::vector<std::string>& options, const std::vector<std::string>& command,
                            const std::string& image) {
  std::vector<std::string> args{"run", "--rm", "--network", "none"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(image.empty() ? busybox_image() : image);
  args.insert(args.end(), command.begin(), command.end());
  return podman(args);
}

Podman& shared_podman() {
  static Podman instance;
  return instance;
}

InstalledCdiSpec::InstalledCdiSpec(const std::string& content, const std::string& extension) {
  static std::atomic<int> counter{0};
  path_ = fs::path("/etc/cdi") /
          ("gpuhooks-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "." + extension);
  test::write_file(path_, content);
}

InstalledCdiSpec::~InstalledCdiSpec() {
  std::error_code ec;
  fs::remove(path_, ec);
}

}  // namespace gpuhooks::e2e
