#pragma once
// The OCI hooks.d file that brings nvidia-container-runtime-hook into podman and CRI-O containers (runtimes.md §2d),
// as `gpuhooks runtime configure --config-mode oci-hook` writes it and as the package ships it in
// /usr/share/containers/oci/hooks.d/. One definition, so the e2e test runs podman with the very file the CLI writes.
//
// `when` is `always`: podman 4.3's hooks (containers/common pkg/hooks 1.0.0) know no condition on the container's
// env, and an unknown key such as "env" is dropped, leaving a `when` that matches nothing. The hook filters itself:
// it returns at once, touching nothing, for a container that asks for no GPU. podman hands a hook exactly the `env`
// of its file, so PATH is given: the hook's helpers must not depend on what conmon happens to have.
#include <string>
#include <vector>

namespace gpuhooks::config {

// The file's JSON text (2-space indent, trailing newline). `hook_path` is where the hook is installed; `extra_env`
// follows PATH (empty in the package, where the hook reads /etc/nvidia-container-runtime/config.toml).
std::string oci_hook_file_json(const std::string& hook_path, const std::vector<std::string>& extra_env = {});

}  // namespace gpuhooks::config
