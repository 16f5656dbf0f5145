#include "common/plan/cgroup_devices.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "common/error.h"
#include "common/plan/cgroup_v2_devices.h"
#include "common/rootfs/in_root.h"
#include "common/split_join.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

// /proc/<pid>/<name> through the directory fd opened at the start (a dead process: ESRCH, not another's cgroup).
std::string read_small_at(int proc_dir, const char* name, int pid) {
  UniqueFd fd(::openat(proc_dir, name, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw sys_error("cannot read /proc/" + std::to_string(pid) + "/" + name);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot read /proc/" + std::to_string(pid) + "/" + name);
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) break;
  }
  return text;
}

std::string read_small(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw sys_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CgroupMount {
  std::string root;
  std::string point;
};

// The mount of the devices v1 hierarchy, or of cgroup2, in mountinfo ("id parent maj:min root mount-point
// options ... - fstype source super-options").
std::optional<CgroupMount> find_mount(const std::string& mountinfo, bool unified) {
  std::istringstream mounts(mountinfo);
  for (std::string line; std::getline(mounts, line);) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, dev, root, point, fstype, source, super;
    head >> id >> parent >> dev >> root >> point;
    tail >> fstype >> source >> super;
    if (fstype != (unified ? "cgroup2" : "cgroup")) continue;
    if (!unified) {
      bool devices = false;
      for (const auto& o : split(super, ',')) devices = devices || o == "devices";
      if (!devices) continue;
    }
    if (root.rfind("/..", 0) == 0) throw Error("relative path in the cgroup mount prefix " + root);
    return CgroupMount{root, point};
  }
  return std::nullopt;
}

}  // namespace

DevicesCgroup devices_cgroup(int pid, const std::string& proc_cgroup, const std::string& mountinfo) {
  // /proc/<pid>/cgroup: "<id>:<controllers>:<path>"; the devices v1 line, and the unified "0::<path>".
  std::optional<std::string> v1_path, v2_path;
  std::istringstream lines(proc_cgroup);
  for (std::string line; std::getline(lines, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    for (const auto& c : split(std::string_view(line).substr(a + 1, b - a - 1), ','))
      if (c == "devices") v1_path = line.substr(b + 1);
    if (line.compare(0, 3, "0::") == 0) v2_path = line.substr(3);
  }
  // Which one rules devices is what is mounted here, as for the runtime that placed the container (runc looks at
  // /sys/fs/cgroup): a devices v1 hierarchy wins; otherwise cgroup2.
  auto v1_mount = v1_path ? find_mount(mountinfo, false) : std::nullopt;
  auto v2_mount = !v1_mount && v2_path ? find_mount(mountinfo, true) : std::nullopt;
  if (!v1_mount && !v2_mount) {
    if (!v1_path && !v2_path) throw Error("no devices or unified cgroup found for process " + std::to_string(pid));
    throw Error(v1_path ? "no cgroup filesystem mounted for the devices subsystem in /proc/self/mountinfo"
                        : "no cgroup2 filesystem in /proc/self/mountinfo");
  }
  const CgroupMount& m = v1_mount ? *v1_mount : *v2_mount;
  std::string rel = v1_mount ? *v1_path : *v2_path;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  return {!v1_mount, m.point + (rel.empty() || rel[0] == '/' ? "" : "/") + rel};
}

void allow_devices(int proc_dir, int pid, const std::vector<CgroupRule>& rules) {
  const DevicesCgroup cg =
      devices_cgroup(pid, read_small_at(proc_dir, "cgroup", pid), read_small("/proc/self/mountinfo"));
  if (cg.unified) {
    UniqueFd dir(::open(cg.dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!dir.valid()) throw sys_error("cannot open the container's cgroup " + cg.dir);
    allow_devices_v2(dir.get(), rules);
    return;
  }
  const std::string dir = cg.dir;
  UniqueFd fd(::open((dir + "/devices.allow").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) throw sys_error("cannot open " + dir + "/devices.allow");
  for (const auto& r : rules) {
    // One rule per write: the kernel parses one rule per write(2).
    rootfs::write_all(
        fd.get(),
        std::string(1, r.type) + " " + std::to_string(r.major) + ":" + std::to_string(r.minor) + " " + r.access,
        dir + "/devices.allow");
  }
}

}  // namespace gpuhooks::plan
