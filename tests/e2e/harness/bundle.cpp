#include "e2e/harness/bundle.h"

#include <fstream>
#include <stdexcept>

#include "e2e/harness/busybox_rootfs.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace gpuhooks::e2e {
namespace {

// `runc spec` of runc 1.1.5, with terminal false (no tty under a test runner) and a writable root; a test that wants
// a read-only root says so.
json default_config() {
  return json::parse(R"({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"], "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true},
  "root": {"path": "rootfs", "readonly": false},
  "hostname": "gpuhooks-e2e",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]}
})");
}

}  // namespace

std::string stage_name(Stage stage) {
  switch (stage) {
    case Stage::kPrestart: return "prestart";
    case Stage::kCreateRuntime: return "createRuntime";
    case Stage::kCreateContainer: return "createContainer";
    case Stage::kStartContainer: return "startContainer";
    case Stage::kPoststart: return "poststart";
    case Stage::kPoststop: return "poststop";
  }
  throw std::logic_error("unknown hook stage");
}

Hook cdi_hook(const std::string& name, const std::vector<std::string>& args) {
  Hook h{test::built("nvidia-cdi-hook").string(),
         {"nvidia-cdi-hook", name},
         std::vector<std::string>{"NVIDIA_CTK_DEBUG=false"}};
  h.args.insert(h.args.end(), args.begin(), args.end());
  return h;
}

Bundle::Bundle() : dir_(tmp_ / "bundle"), config_(default_config()) { copy_busybox_rootfs(rootfs()); }

fs::path Bundle::scratch(const std::string& name) const {
  fs::path p = tmp_ / "scratch" / name;
  fs::create_directories(p);
  return p;
}

Bundle& Bundle::shell(const std::string& script) { return args({"/bin/sh", "-c", script}); }

Bundle& Bundle::args(const std::vector<std::string>& argv) {
  config_["process"]["args"] = argv;
  return *this;
}

Bundle& Bundle::env(const std::string& key_value) {
  config_["process"]["env"].push_back(key_value);
  return *this;
}

Bundle& Bundle::hook(Stage stage, const Hook& h) {
  json entry{{"path", h.path}, {"args", h.args}};
  if (h.env) entry["env"] = *h.env;
  config_["hooks"][stage_name(stage)].push_back(entry);
  return *this;
}

Bundle& Bundle::char_device(const std::string& path, int major, int minor, int file_mode) {
  config_["linux"]["devices"].push_back({{"path", path},
                                         {"type", "c"},
                                         {"major", major},
                                         {"minor", minor},
                                         {"fileMode", file_mode},
                                         {"uid", 0},
                                         {"gid", 0}});
  config_["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", major}, {"minor", minor}, {"access", "rwm"}});
  return *this;
}

Bundle& Bundle::bind_mount(const fs::path& host, const std::string& container_path, bool read_only) {
  json options = json::array({"rbind", "nosuid", "nodev"});
  if (read_only) options.push_back("ro");
  config_["mounts"].push_back(
      {{"destination", container_path}, {"type", "bind"}, {"source", host.string()}, {"options", options}});
  return *this;
}

Bundle& Bundle::readonly_root(bool readonly) {
  config_["root"]["readonly"] = readonly;
  return *this;
}

fs::path Bundle::host_path_of(const std::string& container_path) const {
  return rootfs() / fs::path(container_path).relative_path();
}

Bundle& Bundle::copy_in(const fs::path& host_file, const std::string& container_path) {
  const fs::path to = host_path_of(container_path);
  fs::create_directories(to.parent_path());
  fs::copy_file(host_file, to, fs::copy_options::overwrite_existing);
  return *this;
}

Bundle& Bundle::write_in(const std::string& container_path, const std::string& content) {
  test::write_file(host_path_of(container_path), content);
  return *this;
}

Bundle& Bundle::symlink_in(const std::string& target, const std::string& container_path) {
  const fs::path link = host_path_of(container_path);
  fs::create_directories(link.parent_path());
  fs::create_symlink(target, link);
  return *this;
}

void Bundle::write_config() const {
  std::ofstream f(config_path(), std::ios::trunc);
  f << config_.dump(2) << "\n";
  if (!f) throw std::runtime_error("cannot write " + config_path().string());
}

}  // namespace gpuhooks::e2e
