#pragma once
// The legacy path: the requested GPUs and capabilities served from the host's driver, found by discovery, without
// any CDI spec on disk. The discovered host is turned into the CDI edits `gpuhooks cdi generate` would write for it
// (common/generate), and the requested devices' edits fill the plan as a spec's would: one plan type, one apply.
#include <string>
#include <vector>

#include "common/discovery/host.h"
#include "common/generate/spec_builder.h"
#include "common/plan/plan.h"

namespace gpuhooks::plan {

// `devices` as the request holds them: {"all"}, {""} (none: driver files only), or indices, UUIDs, MIG "N:M".
// `capabilities`: the request's driver capabilities; /dev/nvidia-uvm* come with compute or video only, and
// /dev/nvidia-modeset with display only (libnvidia-container.md A.1.3). Throws Error("no GPU with index 3
// (2 GPUs)") / Error("no GPU or MIG device GPU-...") for a device the host does not have.
Plan plan_legacy(const discovery::HostDiscovery& host, const std::vector<std::string>& devices,
                 const std::vector<std::string>& capabilities, const generate::GenerateOptions& options);

// The GPUs `devices` names (as for plan_legacy), in host order: the parent GPU of a MIG device; every GPU for
// "all"; none for a device the host lacks. What NVIDIA_REQUIRE_* rules on arch and brand are evaluated against.
std::vector<const discovery::Gpu*> selected_gpus(const discovery::HostDiscovery& host,
                                                 const std::vector<std::string>& devices);

}  // namespace gpuhooks::plan
