#pragma once
// Opening a container's device cgroup for the nodes its plan binds (libnvidia-container.md A.2.3). cgroup v1: the
// container's `devices` cgroup (from /proc/<pid>/cgroup, under the devices hierarchy's mount point in this
// process's /proc/self/mountinfo) gets one `c <major>:<minor> rw` line per rule in devices.allow. cgroup v2: the
// device programs attached to the container's cgroup are replaced by copies that allow the rules first
// (cgroup_v2_devices.h).
#include <string>
#include <vector>

#include "common/plan/plan.h"

namespace gpuhooks::plan {

struct DevicesCgroup {
  bool unified = false;  // cgroup v2
  std::string dir;       // as this process sees it
};

// The cgroup of `pid` that holds its device rules, from /proc/<pid>/cgroup and this process's mountinfo; Error
// when there is none.
DevicesCgroup devices_cgroup(int pid, const std::string& proc_cgroup, const std::string& mountinfo);

// `proc_dir`: the container process's /proc/<pid> directory, opened once by the caller.
void allow_devices(int proc_dir, int pid, const std::vector<CgroupRule>& rules);

}  // namespace gpuhooks::plan
