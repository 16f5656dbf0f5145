#pragma once
// Applying a plan inside a container from its prestart hook (libnvidia-container.md A.3.1-A.3.2, runtimes.md §3b):
// the container's mounts are made and it has not pivoted yet; the state names its init process.
//   1. here, on the host view: every source (host device node, driver file) is opened and cloned as a detached
//      mount with its flags (read-only, nosuid, nodev, noexec), so a missing host file fails before anything changes;
//   2. a child joins the container's mount namespace (/proc/<pid>/ns/mnt) and, through the in-root API only,
//      creates each target (an empty file or directory, never through a symlink), attaches the clone there, makes
//      the links, runs the plan's other hooks (a child each, the state on stdin) and ldconfig over the ldcache
//      folders (isolated, as update-ldcache); a failure it sees undoes the mounts, files, links and directories it
//      made (not what hooks and ldconfig wrote; past the deadline the child is killed whole);
//   3. here again, the device cgroup (v1 devices.allow, v2 eBPF) opens for exactly the plan's rules.
// Nothing is written through /proc/<pid>/root (at prestart that is the host's "/"). Every wait has a deadline.
#include <chrono>
#include <filesystem>
#include <string>

#include "common/plan/plan.h"

namespace gpuhooks::plan {

struct ApplyContext {
  int pid = 0;                                // the container's init, a host pid (the prestart state's "pid")
  std::filesystem::path rootfs;               // absolute, as the runtime's mount namespace sees it
  std::string state_json;                     // handed to the plan's hooks on stdin
  bool no_cgroups = false;                    // nvidia-container-cli.no-cgroups: leave the device cgroup alone
  std::chrono::milliseconds deadline{60000};  // the whole apply, hooks and ldconfig included
};

// Throws Error (one line) on the first failure, after undoing what the child made.
void apply_plan(const Plan& plan, const ApplyContext& context);

}  // namespace gpuhooks::plan
