#pragma once
// Runs a bundle with the real runc: `runc --root <private state dir> run <unique id>`, so tests never touch
// /run/runc or each other's containers, and always `runc delete --force` afterwards, also when a hook failed half
// way or the test is about to fail.
#include <string>

#include "e2e/harness/bundle.h"
#include "support/test_support.h"

namespace gpuhooks::e2e {

// A container id no other test or concurrent run uses: gpuhooks-e2e-<pid>-<counter>.
std::string unique_container_id();

// Writes the bundle's config.json and runs it to completion. out/err are the container's (and runc's) output;
// exit_code is the container process's exit code, or runc's own when creation failed (a failing hook: 1).
// A run that hangs is killed after `timeout_s` (exit code 124).
// kV2 runs runc where /sys/fs/cgroup is cgroup2 (a private mount namespace: the host itself is hybrid v1), so the
// container's device rules are an eBPF program.
enum class Cgroups { kHost, kV2 };
test::RunResult run_runc(const Bundle& bundle, int timeout_s = 60, Cgroups cgroups = Cgroups::kHost);

}  // namespace gpuhooks::e2e
