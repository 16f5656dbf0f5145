#pragma once
// `gpuhooks runtime configure`: the container engine's own config file set up for GPU containers, with the flags of
// `nvidia-ctk runtime configure` (nvidia-hooks.md §3.6). One file per engine (runtime_docker.cpp,
// runtime_containerd.cpp, runtime_crio.cpp); each turns the options into the new text of the files it changes, and
// runtime_configure.cpp writes them (or prints them with --dry-run). An engine reads everything and fails before any
// file is written, so a bad existing file leaves every file as it was.
#include <optional>
#include <string>
#include <vector>

namespace gpuhooks::cli {

struct RuntimeOptions {
  std::string runtime = "docker";
  std::string config;                  // "" = the engine's default path
  std::optional<std::string> drop_in;  // unset = the engine's default; "" = none: the main file gets the settings
  bool dry_run = false;
  bool cdi = false;
  bool set_as_default = false;
  std::string runtime_name = "nvidia";
  std::string runtime_path;  // "" = the engine's default (docker: no runtime entry)
  std::string config_mode = "config-file";
  // The one hooks.d folder that both CRI-O (its default hooks_dir) and podman read: the file replaces the packaged
  // annotation-only one of the same name (packaging/README.md says what a package upgrade then does).
  std::string oci_hook_path = "/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json";
  std::string oci_hook_when = "always";  // or "annotation" (common/config/oci_hook_file.h)
  std::string hook_path = "/usr/bin/nvidia-container-runtime-hook";
};

// The new content of one file. `lost_comments`: the file had comments that the rewrite drops (toml++ keeps none).
struct FileChange {
  std::string path;
  std::string content;
  bool lost_comments = false;
};

std::vector<FileChange> configure_docker(const RuntimeOptions& opts);
std::vector<FileChange> configure_containerd(const RuntimeOptions& opts);
std::vector<FileChange> configure_crio(const RuntimeOptions& opts);

}  // namespace gpuhooks::cli
