#pragma once
// `gpuhooks cdi generate`'s decision: a discovered host (common/discovery) plus the flags -> a CDI spec, in
// memory, deterministic, with no side effects (nvidia-hooks.md §3.1-§3.3, nvidia-ctk cdi generate in nvml mode).
#include <string>
#include <vector>

#include "common/cdi/spec/spec.h"
#include "common/discovery/host.h"

namespace gpuhooks::generate {

struct GenerateOptions {
  std::string vendor = "nvidia.com";
  std::string class_name = "gpu";
  std::vector<std::string> device_name_strategies = {"index", "uuid"};
  std::string hook_path = "/usr/bin/nvidia-cdi-hook";
  std::string ldconfig_path;                // emitted as update-ldcache --ldconfig-path when set
  std::vector<std::string> disabled_hooks;  // hook names or "all"; chmod is always disabled unless enabled
  std::vector<std::string> enabled_hooks;
  bool no_all_device = false;
  std::vector<std::string> device_ids = {"all"};  // all, none, N, N:M, GPU-…, MIG-…
  bool debug = false;                             // the hooks' NVIDIA_CTK_DEBUG value
  bool separate_hooks = false;                    // one hook per subcommand, not one process for all of them
};

// Checks the flags alone (strategies, vendor, class, hook names, device-id syntax); throws Error with the message
// the user sees.
void validate_generate_options(const GenerateOptions& options);

// The spec for `host`: one device per selected GPU or MIG device and naming strategy, plus `all`; common edits with
// the control nodes, driver mounts, env and hooks; cdiVersion = the minimum version the content needs.
cdi::Spec build_spec(const discovery::HostDiscovery& host, const GenerateOptions& options);

}  // namespace gpuhooks::generate
