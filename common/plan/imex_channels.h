#pragma once
// NVIDIA_IMEX_CHANNELS on the legacy path (libnvidia-container.md A.2.1): each requested channel's host node
// /dev/nvidia-caps-imex-channels/channel<N>, bind-mounted into the container and allowed in its device cgroup, as
// nvidia-container-cli's --imex-channel does. The CLI also creates a missing node on the host (with load-kmods);
// ours never makes device nodes on the host: a missing one is an Error naming it, so nothing is silently left out.
#include <string>
#include <vector>

#include "common/discovery/host.h"
#include "common/plan/plan.h"

namespace gpuhooks::plan {

inline constexpr const char* kImexChannelDir = "/dev/nvidia-caps-imex-channels";
inline constexpr const char* kImexChannelKind = "nvidia.com/imex-channel";  // the CDI kind of a channel

// Adds the channels (decimal ids, as request.h holds them) to `plan`. Throws Error("IMEX channel 3: no device node
// <dev root>/dev/nvidia-caps-imex-channels/channel3 on the host ...") for one the host lacks.
void add_imex_channels(Plan& plan, const discovery::HostDiscovery& host, const std::vector<std::string>& channels);

}  // namespace gpuhooks::plan
