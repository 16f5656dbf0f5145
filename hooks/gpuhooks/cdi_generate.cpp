// `gpuhooks cdi generate`: discover the GPU host under --driver-root/--dev-root and write a CDI spec for it, with
// the flags (and NVIDIA_CTK_* environment variables) of `nvidia-ctk cdi generate` (nvidia-hooks.md §3.1).
// Discovery and spec building decide; this file only reads flags and writes the result.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "atomic_file.h"
#include "command.h"
#include "common/cdi/spec/write.h"
#include "common/error.h"
#include "common/generate/spec_builder.h"

namespace gpuhooks::cli {
namespace {

struct Flags {
  generate::GenerateOptions spec;
  std::string output;
  std::string format;
  std::string driver_root = "/";
  std::string dev_root;
};

// --output's extension picks the format unless --format is given; a path without .yaml/.yml/.json gets one (§3.1).
std::pair<std::string, cdi::Format> output_target(const Flags& f) {
  std::string format = f.format;
  std::transform(format.begin(), format.end(), format.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!format.empty() && format != "yaml" && format != "json") {
    throw Error("invalid output format: " + f.format + " (yaml or json)");
  }
  std::string path = f.output;
  std::string ext = std::filesystem::path(path).extension().string();
  bool known_ext = ext == ".yaml" || ext == ".yml" || ext == ".json";
  if (format.empty()) format = ext == ".json" ? "json" : "yaml";
  if (!path.empty() && !known_ext) path += "." + format;
  return {path, format == "json" ? cdi::Format::kJson : cdi::Format::kYaml};
}

void write_spec(const std::string& path, const std::string& content) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) throw Error("cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  replace_file_atomically(path, content, 0644);
  // The reference chmods after saving: a spec replacing an older, stricter file still ends up world-readable.
  if (::chmod(path.c_str(), 0644) != 0) throw sys_error("cannot chmod " + path);
}

void run_generate(const Flags& f) {
  auto [path, format] = output_target(f);
  discovery::DiscoveryOptions opts;
  opts.driver_root = f.driver_root.empty() ? "/" : f.driver_root;
  opts.dev_root = f.dev_root;
  opts.files = discovery::files_options_from_environment();
  auto host = discovery::discover_host(opts);
  spdlog::debug("driver {} ({}), CUDA {}, {} GPU(s) from {}, NVML {}", host.driver_version, host.driver_version_source,
                host.cuda_version.empty() ? "unknown" : host.cuda_version, host.gpus.size(),
                host.gpu_source == discovery::GpuSource::kNvml ? "NVML" : "/proc",
                host.nvml_error.empty() ? host.nvml_library : host.nvml_error);
  for (const auto& m : host.missing) spdlog::debug("not found: {}", m);
  cdi::Spec spec = generate::build_spec(host, f.spec);
  std::string text = cdi::serialize(spec, format);
  if (path.empty()) {
    std::cout << text << std::flush;
  } else {
    write_spec(path, text);
  }
  spdlog::info("Generated CDI spec with version {}{}", spec.cdi_version, path.empty() ? "" : " in " + path);
}

}  // namespace

void add_generate(CLI::App& group) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = group.add_subcommand("generate", "Generate a CDI specification for the GPUs of this host");
  cmd->add_option("--output", flags->output, "Where to write the spec (default: stdout)")
      ->envname("NVIDIA_CTK_CDI_OUTPUT_FILE_PATH");
  cmd->add_option("--format", flags->format, "yaml or json (default: from --output's extension, else yaml)")
      ->envname("NVIDIA_CTK_CDI_GENERATE_OUTPUT_FORMAT");
  cmd->add_option("--device-name-strategy", flags->spec.device_name_strategies,
                  "index, uuid or type-index; repeatable (default: index,uuid)")
      ->delimiter(',')
      ->envname("NVIDIA_CTK_CDI_GENERATE_DEVICE_NAME_STRATEGIES");
  cmd->add_option("--driver-root", flags->driver_root, "Root of the driver files (default: /)")
      ->envname("NVIDIA_CTK_DRIVER_ROOT");
  cmd->add_option("--dev-root", flags->dev_root, "Root holding /dev (default: the driver root)")
      ->envname("NVIDIA_CTK_DEV_ROOT");
  cmd->add_option("--vendor,--cdi-vendor", flags->spec.vendor, "CDI vendor (default: nvidia.com)")
      ->envname("NVIDIA_CTK_CDI_GENERATE_VENDOR");
  cmd->add_option("--class,--cdi-class", flags->spec.class_name, "CDI class (default: gpu)")
      ->envname("NVIDIA_CTK_CDI_GENERATE_CLASS");
  cmd->add_option("--nvidia-cdi-hook-path,--nvidia-ctk-path", flags->spec.hook_path,
                  "Hook executable named in the spec (default: /usr/bin/nvidia-cdi-hook)")
      ->envname("NVIDIA_CTK_CDI_HOOK_PATH");
  cmd->add_option("--ldconfig-path", flags->spec.ldconfig_path, "ldconfig for the update-ldcache hook")
      ->envname("NVIDIA_CTK_CDI_GENERATE_LDCONFIG_PATH");
  cmd->add_option("--disable-hook,--disable-hooks", flags->spec.disabled_hooks, "Hook name or 'all'; repeatable")
      ->delimiter(',')
      ->envname("NVIDIA_CTK_CDI_GENERATE_DISABLED_HOOKS");
  cmd->add_option("--enable-hook,--enable-hooks", flags->spec.enabled_hooks, "Hook name; repeatable")
      ->delimiter(',')
      ->envname("NVIDIA_CTK_CDI_GENERATE_ENABLED_HOOKS");
  cmd->add_flag("--separate-hooks", flags->spec.separate_hooks,
                "One createContainer hook per subcommand (for NVIDIA's nvidia-cdi-hook), not one for all")
      ->envname("NVIDIA_CTK_CDI_GENERATE_SEPARATE_HOOKS");
  cmd->add_flag("--no-all-device", flags->spec.no_all_device, "Do not add the 'all' device")
      ->envname("NVIDIA_CTK_CDI_GENERATE_NO_ALL_DEVICE");
  cmd->add_option("--device-id,--device-ids,--device,--devices", flags->spec.device_ids,
                  "all, none, an index (0, 0:1) or a UUID; repeatable (default: all)")
      ->delimiter(',')
      ->envname("NVIDIA_CTK_CDI_GENERATE_DEVICE_IDS");
  cmd->callback([flags, cmd] {
    auto* root = cmd;
    while (root->get_parent()) root = root->get_parent();
    flags->spec.debug = root->get_option("--debug")->as<bool>();
    run_generate(*flags);
  });
}

}  // namespace gpuhooks::cli
