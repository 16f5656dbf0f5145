// `gpuhooks cdi resolve --gpus '<docker syntax>'`: what Docker >= 29.2 would do with `docker run --gpus ...`: the
// CDI names it asks for, and whether CDI (every name resolves) or the nvidia-container-runtime-hook fallback serves
// them, with the reason (moby-gpus.md §B.1). Assumes both NVIDIA hooks are installed unless told otherwise.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cdi_cli_common.h"
#include "command.h"
#include "common/cdi/docker/docker_gpus.h"
#include "common/split_join.h"

namespace gpuhooks::cli {
namespace {

struct ResolveOptions {
  std::string gpus;
  std::vector<std::string> spec_dirs;
  std::string format = "text";
  bool no_cdi_hook = false;
  bool no_runtime_hook = false;
};

void run_resolve(const ResolveOptions& opts) {
  cdi::DeviceRequest request = cdi::parse_gpus_option(opts.gpus);
  cdi::Registry registry = load_registry(opts.spec_dirs);
  cdi::DockerGpuSetup setup;
  setup.has_cdi_hook = !opts.no_cdi_hook;
  setup.has_runtime_hook = !opts.no_runtime_hook;
  cdi::GpuDecision d = cdi::decide_gpus(request, registry, setup);
  if (d.path != cdi::GpuDecision::Path::kCdi && !d.cdi_devices.empty()) warn_spec_errors(registry);
  if (opts.format == "json") {
    nlohmann::json out = {{"devices", d.cdi_devices},
                          {"path", std::string(cdi::to_string(d.path))},
                          {"reason", d.reason},
                          {"env", d.legacy_env}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& n : d.cdi_devices) std::cout << n << "\n";
  switch (d.path) {
    case cdi::GpuDecision::Path::kCdi: std::cout << "served by: cdi\n"; break;
    case cdi::GpuDecision::Path::kLegacyHook: std::cout << "served by: legacy (nvidia-container-runtime-hook)\n"; break;
    case cdi::GpuDecision::Path::kNone: std::cout << "served by: none\n"; break;
  }
  std::cout << "reason: " << d.reason << "\n";
  if (!d.legacy_env.empty()) std::cout << "env: " << join(d.legacy_env, " ") << "\n";
}

}  // namespace

void add_resolve(CLI::App& group) {
  auto opts = std::make_shared<ResolveOptions>();
  auto* cmd = group.add_subcommand("resolve", "Show how Docker would serve --gpus: CDI names, CDI or legacy hook, why");
  cmd->add_option("--gpus", opts->gpus, "docker run --gpus value, e.g. all, 2, '\"device=0,1\"'")->required();
  add_spec_dir_option(*cmd, opts->spec_dirs);
  add_format_option(*cmd, opts->format);
  cmd->add_flag("--no-cdi-hook", opts->no_cdi_hook, "dockerd found no nvidia-cdi-hook at start (no CDI path)");
  cmd->add_flag("--no-runtime-hook", opts->no_runtime_hook,
                "dockerd found no nvidia-container-runtime-hook at start (no fallback)");
  cmd->callback([opts] { run_resolve(*opts); });
}

}  // namespace gpuhooks::cli
