#include "e2e/harness/docker.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "e2e/harness/busybox_rootfs.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

// Names differ from podman.cpp's: the harness is built as unity files, where both anonymous namespaces are one.
const char* const kDockerd = "/usr/sbin/dockerd";
// Debian's 20.10 client, by full path: this machine also has a 28.x client in /usr/local/bin.
const char* const kDockerClient = "/usr/bin/docker";
const char* const kDockerImageName = "gpuhooks-e2e-busybox:latest";
constexpr auto kReadyBound = std::chrono::seconds(30);
constexpr auto kStopBound = std::chrono::seconds(20);

// Waits for `pid` until `bound`; true once it has been reaped.
bool reaped_within(pid_t pid, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  do {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + i + 1, s.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool at_or_below(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

std::vector<MountEntry> mounts_under(const fs::path& dir) {
  const std::string d = fs::weakly_canonical(dir).string();
  std::ifstream in("/proc/self/mountinfo");
  std::vector<MountEntry> found;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
    MountEntry e{unescape_mountinfo(root), unescape_mountinfo(mount_point)};
    if (at_or_below(e.mount_point, d) || at_or_below(e.root, d)) found.push_back(e);
  }
  // Later lines may be stacked on earlier ones at the same point: reversed, then deepest first, unmounts in order.
  std::reverse(found.begin(), found.end());
  std::stable_sort(found.begin(), found.end(), [](const MountEntry& a, const MountEntry& b) {
    return a.mount_point.size() > b.mount_point.size();
  });
  return found;
}

Docker::Docker(const fs::path& daemon_json)
    : data_root_(tmp_ / "data"),
      exec_root_(tmp_ / "exec"),
      socket_(tmp_ / "docker.sock"),
      log_(tmp_ / "dockerd.log"),
      hook_config_(tmp_ / "config.toml") {
  for (const char* exe : {kDockerd, kDockerClient}) {
    if (::access(exe, X_OK) != 0)
      throw std::runtime_error(std::string(exe) +
                               " is missing or not executable: install docker.io (scripts/install-deps)");
  }
  const fs::path hook = test::executable("nvidia-container-runtime-hook");
  if (!fs::exists(hook)) throw std::runtime_error(hook.string() + " does not exist (not built, or not installed)");
  // dockerd looks the hook up by this exact name, on its own PATH, once at start-up.
  const fs::path bin = tmp_ / "bin";
  fs::create_directories(bin);
  fs::create_symlink(hook, bin / "nvidia-container-runtime-hook");
  test::write_file(hook_config_, "");

  // Built before fork(): the child may only call async-signal-safe functions.
  std::vector<std::string> argv{kDockerd,
                                "--data-root=" + data_root_.string(),
                                "--exec-root=" + exec_root_.string(),
                                "--pidfile=" + (tmp_ / "dockerd.pid").string(),
                                "--host=unix://" + socket_.string(),
                                "--storage-driver=overlay2",
                                "--iptables=false",
                                "--ip6tables=false",
                                "--bridge=none"};
  if (!daemon_json.empty()) argv.push_back("--config-file=" + daemon_json.string());
  // Also every hook's whole environment, so it stays small and names the config. No /usr/local on PATH: dockerd
  // runs containerd, its shim and runc by name, and they must be Debian's.
  const std::vector<std::string> env{"PATH=" + bin.string() + ":/usr/sbin:/usr/bin:/sbin:/bin",
                                     "HOME=" + tmp_.path().string(),
                                     "NVIDIA_CTK_CONFIG_FILE_PATH=" + hook_config_.string()};
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open " + log_.string() + " or /dev/null");
  pid_ = ::fork();
  if (pid_ == 0) {
    // A test binary that dies must not leave a dockerd behind.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
  try {
    wait_ready();
  } catch (...) {
    stop();
    throw;
  }
}

Docker::~Docker() { stop(); }

void Docker::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + kReadyBound;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("dockerd exited during start-up; its log:\n" + log_tail());
    }
    if (docker({"version"}, 5).exit_code == 0) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("dockerd did not answer within 30 s; its log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Docker::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!reaped_within(pid_, kStopBound)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      // Its containerd stops with a clean dockerd only; after a SIGKILL it is ours to end.
      std::ifstream pidfile(exec_root_ / "containerd/containerd.pid");
      if (pid_t containerd = 0; pidfile >> containerd && containerd > 0) ::kill(containerd, SIGKILL);
    }
    pid_ = -1;
  }
  // dockerd unmounts its overlays and the data root's bind on a clean stop; anything left would make the temp
  // dir's removal descend into a container's rootfs, or fail on a busy mount.
  const std::string dir = fs::weakly_canonical(tmp_.path()).string();
  for (const auto& m : mounts_under(dir)) {
    if (at_or_below(m.mount_point, dir)) ::umount2(m.mount_point.c_str(), MNT_DETACH);
  }
}

std::string Docker::log_tail(size_t max) const {
  const std::string log = test::read_file(log_);
  return log.size() > max ? log.substr(log.size() - max) : log;
}

test::RunResult Docker::docker(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv{kDockerClient, "-H", "unix://" + socket_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  // HOME: the client keeps its config under ~/.docker; this one stays in the temp dir.
  return test::run(
      test::with_timeout(timeout_s, argv), "",
      {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + tmp_.path().string()});
}

const std::string& Docker::busybox_image() {
  if (!image_.empty()) return image_;
  const fs::path tarball = tmp_ / "busybox-rootfs.tar";
  auto tar = test::run({"/bin/tar", "-C", busybox_rootfs_template().string(), "-cf", tarball.string(), "."});
  if (tar.exit_code != 0) throw std::runtime_error("tar of the busybox rootfs failed: " + tar.err);
  auto r = docker({"import", tarball.string(), kDockerImageName}, 120);
  if (r.exit_code != 0) throw std::runtime_error("docker import failed: " + r.err);
  fs::remove(tarball);
  image_ = kDockerImageName;
  return image_;
}

test::RunResult Docker::run(const std::vector<std::string>& options, const std::string& script) {
  std::vector<std::string> args{"run", "--rm", "--network", "none"};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), {busybox_image(), "/bin/sh", "-c", script});
  return docker(args);
}

Docker& shared_docker() {
  static std::unique_ptr<Docker> instance;
  static std::string failure;
  if (!instance) {
    if (!failure.empty()) throw std::runtime_error(failure);
    try {
      instance = std::make_unique<Docker>();
    } catch (const std::exception& e) {
      failure = std::string("starting dockerd failed earlier: ") + e.what();
      throw;
    }
  }
  return *instance;
}

}  // namespace gpuhooks::e2e
