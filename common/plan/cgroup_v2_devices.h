#pragma once
// cgroup v2 device rules: an eBPF program of type CGROUP_DEVICE attached to the cgroup, which the runtime wrote
// from config.json before the prestart hook runs. Each program attached there is replaced by a copy with our allow
// rules in front of its own instructions (libnvidia-container.md A.2.3, as runc and crun build theirs), so what it
// allowed and denied before still holds and our nodes open. A cgroup with no device program restricts nothing and
// is left alone.
#include <linux/bpf.h>

#include <vector>

#include "common/plan/plan.h"

namespace gpuhooks::plan {

// The instructions of a device program that allows `rules` and otherwise continues with `tail` (another
// program's instructions, which read their context from r1 themselves; the prologue leaves r1 alone).
std::vector<bpf_insn> device_filter(const std::vector<CgroupRule>& rules, const std::vector<bpf_insn>& tail);

// Replaces every device program attached to the cgroup directory `cgroup_fd`. Throws Error (one line).
void allow_devices_v2(int cgroup_fd, const std::vector<CgroupRule>& rules);

}  // namespace gpuhooks::plan
