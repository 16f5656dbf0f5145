// `gpuhooks runtime configure`: the flags of `nvidia-ctk runtime configure` (nvidia-hooks.md §3.6), checked here
// before any file is read; the engines are runtime_docker.cpp, runtime_containerd.cpp and runtime_crio.cpp.
#include "runtime_configure.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>

#include "command.h"
#include "common/config/oci_hook_file.h"
#include "common/error.h"
#include "runtime_file.h"

namespace gpuhooks::cli {
namespace {

constexpr const char* kNvidiaRuntime = "/usr/bin/nvidia-container-runtime";

void check_options(RuntimeOptions& o, bool drop_in_given) {
  if (o.config_mode == "config") o.config_mode = "config-file";
  if (o.config_mode == "hook") o.config_mode = "oci-hook";
  if (o.config_mode == "oci-hook" && o.runtime != "crio") {
    throw Error("--config-mode oci-hook is for --runtime crio (and podman, which reads the same hooks.d)");
  }
  if (o.runtime == "docker" && drop_in_given && !o.drop_in->empty()) {
    throw Error("--drop-in-config is not supported for docker: daemon.json has no drop-ins");
  }
  if (!drop_in_given && o.runtime == "docker") o.drop_in = "";
  if (o.drop_in && !o.drop_in->empty() && o.drop_in->front() != '/') {
    throw Error("--drop-in-config must be an absolute path: \"" + *o.drop_in + "\"");
  }
  if (o.runtime_name.empty()) throw Error("--nvidia-runtime-name must not be empty");
  if (o.runtime == "docker") return;  // no default path: see runtime_docker.cpp
  // containerd and CRI-O exec the runtime by absolute path; nvidia-ctk's bare default name means the packaged one.
  if (o.runtime_path.empty() || o.runtime_path == "nvidia-container-runtime") o.runtime_path = kNvidiaRuntime;
  if (o.runtime_path.front() != '/') {
    throw Error("--nvidia-runtime-path must be an absolute path for " + o.runtime + ": \"" + o.runtime_path + "\"");
  }
}

void run_configure(RuntimeOptions o, bool drop_in_given) {
  check_options(o, drop_in_given);
  std::vector<FileChange> changes;
  if (o.config_mode == "oci-hook") {
    const bool always = o.oci_hook_when == "always";
    changes.push_back(
        {o.oci_hook_path,
         config::oci_hook_file_json(o.hook_path, always ? config::HookWhen::Always : config::HookWhen::GpusAnnotation),
         false});
    if (::access(o.hook_path.c_str(), X_OK) != 0) spdlog::warn("{} is not an executable on this host", o.hook_path);
    if (always && !o.dry_run)
      spdlog::info(
          "every podman and CRI-O container now runs the prestart hook, so requests by env are served; "
          "remove {} to limit it to containers annotated nvidia.com/gpus again",
          o.oci_hook_path);
  } else {
    changes = o.runtime == "docker"       ? configure_docker(o)
              : o.runtime == "containerd" ? configure_containerd(o)
                                          : configure_crio(o);
    if (!o.runtime_path.empty() && o.runtime_path.front() == '/' && ::access(o.runtime_path.c_str(), X_OK) != 0) {
      spdlog::warn("runtime {} names {}, which is not an executable on this host (gpuhooks ships none)", o.runtime_name,
                   o.runtime_path);
    }
  }
  if (apply_changes(changes, o.dry_run) > 0 && o.config_mode != "oci-hook") {
    spdlog::info("restart {} to apply the change", o.runtime);
  }
}

}  // namespace

void add_runtime_configure(CLI::App& group) {
  auto opts = std::make_shared<RuntimeOptions>();
  auto drop_in = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand(
      "configure",
      "Configure a container engine for GPU containers (the flags of nvidia-ctk runtime configure).\n"
      "docker: --cdi.enabled sets features.cdi in daemon.json (Docker 25+ then takes --device nvidia.com/gpu=...\n"
      "  from the CDI specs of `gpuhooks cdi generate`); a runtimes.<name> entry is written only with\n"
      "  --nvidia-runtime-path, since gpuhooks ships no nvidia-container-runtime.\n"
      "containerd: enable_cdi and cdi_spec_dirs in the CRI plugin (--cdi.enabled; containerd 1.7+) and a runtime\n"
      "  <name> copied from the default one with options.BinaryName = --nvidia-runtime-path, in the drop-in, which\n"
      "  the main file imports.\n"
      "crio: a runtime <name> in the drop-in (CRI-O has CDI on always); --config-mode oci-hook writes the hooks.d\n"
      "  file of nvidia-container-runtime-hook instead (CRI-O and podman): by default one that runs the hook in every\n"
      "  container, so that requests by NVIDIA_VISIBLE_DEVICES alone are served (a device plugin's envvar strategy).\n"
      "  It replaces the packaged /usr/share/containers/oci/hooks.d/oci-nvidia-hook.json, which runs the hook only\n"
      "  in containers annotated nvidia.com/gpus=<devices> (podman run --annotation nvidia.com/gpus=all); a package\n"
      "  upgrade puts that one back.\n"
      "Existing keys are kept; TOML comments are not (said on stderr). Files are replaced atomically, keeping mode\n"
      "and owner.");
  cmd->add_option("--runtime", opts->runtime, "The engine to configure")
      ->check(CLI::IsMember({"docker", "containerd", "crio"}))
      ->capture_default_str();
  cmd->add_option("--config", opts->config,
                  "The engine's config file (default: /etc/docker/daemon.json, /etc/containerd/config.toml, "
                  "/etc/crio/crio.conf)");
  auto* drop_in_opt = cmd->add_option(
      "--drop-in-config", *drop_in,
      "Where the settings go, absolute; \"\" = into --config (default: containerd /etc/containerd/conf.d/"
      "99-nvidia.toml, crio /etc/crio/crio.conf.d/99-nvidia.toml; not for docker)");
  cmd->add_flag("--dry-run", opts->dry_run, "Print the new file(s) to stdout; write nothing");
  cmd->add_flag("--cdi.enabled,--cdi.enable,--enable-cdi", opts->cdi, "Enable CDI in the engine (docker, containerd)");
  cmd->add_flag("--set-as-default,--nvidia-set-as-default", opts->set_as_default,
                "Make the runtime <name> the engine's default (else it stops being the default)");
  cmd->add_option("--nvidia-runtime-name", opts->runtime_name, "The runtime's name (a RuntimeClass handler)")
      ->capture_default_str();
  cmd->add_option("--nvidia-runtime-path,--runtime-path", opts->runtime_path,
                  "The runtime binary (default: containerd, crio /usr/bin/nvidia-container-runtime; docker: none, "
                  "no runtime entry)");
  cmd->add_option("--config-mode", opts->config_mode, "config-file, or oci-hook (crio: the hooks.d file)")
      ->check(CLI::IsMember({"config-file", "config", "oci-hook", "hook"}))
      ->capture_default_str();
  cmd->add_option("--oci-hook-path", opts->oci_hook_path, "The hooks.d file --config-mode oci-hook writes")
      ->capture_default_str();
  cmd->add_option("--oci-hook-when", opts->oci_hook_when,
                  "Which containers the hooks.d file runs the hook in: always (every one), or annotation (those "
                  "annotated nvidia.com/gpus, as the packaged file)")
      ->check(CLI::IsMember({"always", "annotation"}))
      ->capture_default_str();
  cmd->add_option("--nvidia-runtime-hook-path", opts->hook_path, "nvidia-container-runtime-hook, for the hooks.d file")
      ->capture_default_str();
  cmd->callback([opts, drop_in, drop_in_opt] {
    RuntimeOptions o = *opts;
    const bool given = drop_in_opt->count() > 0;
    if (given) o.drop_in = *drop_in;
    run_configure(std::move(o), given);
  });
}

}  // namespace gpuhooks::cli
