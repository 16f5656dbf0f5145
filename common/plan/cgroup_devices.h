#pragma once
// Opening a container's device cgroup for the nodes its plan binds (libnvidia-container.md A.2.3). cgroup v1: the
// container's `devices` cgroup (from /proc/<pid>/cgroup, under the devices hierarchy's mount point in this
// process's /proc/self/mountinfo) gets one `c <major>:<minor> rw` line per rule in devices.allow. cgroup v2 (the
// device rules are an eBPF program) is refused with a one-line Error saying so.
#include <string>
#include <vector>

#include "common/plan/plan.h"

namespace gpuhooks::plan {

// The devices cgroup directory of `pid` as this process sees it; Error when there is none.
std::string devices_cgroup_dir(int pid, const std::string& proc_cgroup, const std::string& mountinfo);

void allow_devices(int pid, const std::vector<CgroupRule>& rules);

}  // namespace gpuhooks::plan
