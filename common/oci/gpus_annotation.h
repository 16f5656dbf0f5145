#pragma once
// The container annotation that asks nvidia-container-runtime-hook for GPUs: `podman run --annotation
// nvidia.com/gpus=all`, or a pod's annotation on a CRI-O node. Ours, not the reference's. The packaged hooks.d file
// brings the hook only into containers that carry it (common/config/oci_hook_file.h), and the hook reads its value
// as the device list, before the image's env (common/request/request.h).
#include <string_view>

namespace gpuhooks::oci {

inline constexpr std::string_view kGpusAnnotation = "nvidia.com/gpus";

}  // namespace gpuhooks::oci
