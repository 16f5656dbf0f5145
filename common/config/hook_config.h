#pragma once
// config.toml of nvidia-container-runtime(-hook) (nvidia-hooks.md §2.2), read with toml++: every key the prestart
// hook uses, over the built-in defaults; unknown keys ignored; a value of the wrong type or out of its set is an
// Error naming the key and the file.
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks::config {

struct CliConfig {         // [nvidia-container-cli]
  std::string root = "/";  // the driver root: "" in the file means "/"
  std::string path;
  std::vector<std::string> environment;
  std::string debug;  // a log file: the prestart hook logs there too
  std::string ldcache;
  bool load_kmods = true;
  bool no_pivot = false;
  bool no_cgroups = false;
  std::string user;
  std::string ldconfig = "@/sbin/ldconfig";  // "@" = a host path
};

struct HookConfig {
  std::string source;  // the file read; "" for the built-in defaults
  bool disable_require = false;
  std::vector<std::string> swarm_resource;  // split on ',' and trimmed
  bool accept_envvar_unprivileged = true;
  bool accept_volume_mounts = false;
  std::vector<std::string> supported_driver_capabilities = {"compat32", "compute", "display", "graphics",
                                                            "ngx",      "utility", "video"};  // sorted; all expanded
  CliConfig cli;
  std::string mode = "auto";  // nvidia-container-runtime.mode: auto | cdi | legacy (others are an Error)
  std::vector<std::string> cdi_spec_dirs = {"/etc/cdi", "/var/run/cdi"};  // ...modes.cdi.spec-dirs
  std::string cdi_default_kind = "nvidia.com/gpu";                        // ...modes.cdi.default-kind
  std::string cuda_compat_mode = "ldconfig";  // ...modes.legacy.cuda-compat-mode: ldconfig | mount | disabled | hook
  bool skip_mode_detection = false;
  std::chrono::seconds hook_timeout{0};  // nvidia-container-runtime-hook.timeout (ours), 1..3600; 0: not set
  bool disable_imex_channel_creation = false;
  bool ignore_imex_channel_requests = false;
  bool allow_cuda_compat_libs_from_container = false;
  bool allow_ldconfig_from_container = false;
};

// Parses config.toml text over the defaults. Throws Error("<source>: <key>: <problem>") for a bad value, and
// Error("<source>:<line>:<column>: <toml++'s message>") for a syntax error.
HookConfig parse_hook_config(std::string_view toml_text, const std::string& source);

// Which file the hook reads: the -config flag (the file must exist), else NVIDIA_CTK_CONFIG_FILE_PATH from the
// hook's own environment (must exist), else $XDG_CONFIG_HOME/nvidia-container-runtime/config.toml, else
// /etc/nvidia-container-runtime/config.toml (these two optional: missing = defaults). Throws Error naming a
// required file that is missing or unreadable.
HookConfig load_hook_config(const std::string& flag_path,
                            const std::function<const char*(const char*)>& getenv = ::getenv);

}  // namespace gpuhooks::config
