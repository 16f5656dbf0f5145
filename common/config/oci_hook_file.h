#pragma once
// The OCI hooks.d file that brings nvidia-container-runtime-hook into podman and CRI-O containers (runtimes.md §2d).
// One definition: the package ships the GpusAnnotation form in /usr/share/containers/oci/hooks.d/ (the package
// test compares), `gpuhooks runtime configure --config-mode oci-hook` writes either, and the podman e2e test runs
// podman with both.
//
// podman 4.3's and CRI-O's hooks (containers/common pkg/hooks 1.0.0) know `always`, `annotations`, `commands` and
// `hasBindMounts`; there is no condition on the container's env (an unknown key such as "env" is dropped, leaving a
// `when` that matches nothing). So the two forms are:
// - GpusAnnotation: only containers annotated nvidia.com/gpus (common/oci/gpus_annotation.h), whose value the hook
//   reads as their request. No other container runs the hook.
// - Always: every container, as NVIDIA's file does; the hook returns at once, touching nothing, for a container that
//   asks for no GPU. For requests made by env only, e.g. a Kubernetes device plugin's envvar strategy on CRI-O.
// podman hands a hook exactly the `env` of its file, so PATH is given: the hook's helpers must not depend on what
// conmon happens to have.
#include <string>
#include <vector>

namespace gpuhooks::config {

enum class HookWhen { GpusAnnotation, Always };

// The file's JSON text (2-space indent, trailing newline). `hook_path` is where the hook is installed; `extra_env`
// follows PATH (empty in the package, where the hook reads /etc/nvidia-container-runtime/config.toml).
std::string oci_hook_file_json(const std::string& hook_path, HookWhen when,
                               const std::vector<std::string>& extra_env = {});

}  // namespace gpuhooks::config
