#include "common/plan/cgroup_devices.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/split_join.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

std::string read_small(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw sys_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string devices_cgroup_dir(int pid, const std::string& proc_cgroup, const std::string& mountinfo) {
  // /proc/<pid>/cgroup: "<id>:<controllers>:<path>"; v1 has a line naming devices, v2 only "0::<path>".
  std::string cgroup_path;
  bool unified = false;
  std::istringstream lines(proc_cgroup);
  for (std::string line; std::getline(lines, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    auto controllers = split(std::string_view(line).substr(a + 1, b - a - 1), ',');
    for (const auto& c : controllers)
      if (c == "devices") cgroup_path = line.substr(b + 1);
    if (line.compare(0, 3, "0::") == 0) unified = true;
  }
  if (cgroup_path.empty()) {
    if (unified)
      throw Error("process " + std::to_string(pid) +
                  " is in a cgroup v2 hierarchy; device rules there are an eBPF program, which gpuhooks does not "
                  "write yet (set nvidia-container-cli.no-cgroups = true, or give the devices in config.json)");
    throw Error("no devices cgroup found for process " + std::to_string(pid));
  }
  // mountinfo: "id parent maj:min root mount-point options ... - fstype source super-options".
  std::istringstream mounts(mountinfo);
  for (std::string line; std::getline(mounts, line);) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, dev, root, point, fstype, source, super;
    head >> id >> parent >> dev >> root >> point;
    tail >> fstype >> source >> super;
    if (fstype != "cgroup") continue;
    bool devices = false;
    for (const auto& o : split(super, ',')) devices = devices || o == "devices";
    if (!devices) continue;
    if (root.rfind("/..", 0) == 0) throw Error("relative path in the devices cgroup mount prefix " + root);
    std::string rel = cgroup_path;
    if (root != "/" && rel.rfind(root, 0) == 0) rel = rel.substr(root.size());
    return point + (rel.empty() || rel[0] == '/' ? "" : "/") + rel;
  }
  throw Error("no cgroup filesystem mounted for the devices subsystem in /proc/self/mountinfo");
}

void allow_devices(int pid, const std::vector<CgroupRule>& rules) {
  const std::string dir = devices_cgroup_dir(pid, read_small("/proc/" + std::to_string(pid) + "/cgroup"),
                                             read_small("/proc/self/mountinfo"));
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
