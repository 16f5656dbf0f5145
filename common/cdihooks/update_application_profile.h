#pragma once
// The pieces of update-application-profile that tests check without running the hook.
#include <cstdint>
#include <string>

#include "common/rootfs/in_root.h"

namespace gpuhooks::cdihook {

// The file content, exactly as the reference writes it, for a mask of GPU minors.
std::string application_profile(uint64_t mask);

// OR of 1<<minor over the container's /dev/nvidia<N> char devices (minors 0..63; others dropped with a warning).
uint64_t visible_gpu_mask(const rootfs::InRoot& root);

}  // namespace gpuhooks::cdihook
