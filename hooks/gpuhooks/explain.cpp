// `gpuhooks explain --bundle DIR [--config FILE] [--format text|json]`: what nvidia-container-runtime-hook prestart
// would do for this bundle, decided exactly as the hook decides (common/plan/explain.h), with nothing touched. An
// input the hook rejects is the hook's one-line error and exit 1; a request nothing can serve is exit 0, with why.
#include "common/plan/explain.h"

#include <iostream>
#include <memory>

#include "command.h"
#include "common/config/hook_config.h"
#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/split_join.h"

namespace gpuhooks::cli {
namespace {

struct ExplainOptions {
  std::string bundle;
  std::string config;
  std::string format = "text";
};

void print_text(const plan::Explanation& e) {
  const auto& r = e.request;
  const auto& p = e.resolution.plan;
  std::cout << "gpu container: " << (r.gpu_container ? "yes" : "no") << "\n";
  if (r.gpu_container) {
    std::cout << "devices: " << join(r.devices, ",") << " (requested by " << r.requested_by
              << ")\ncapabilities: " << join(r.driver_capabilities, ",") << "\n";
    if (!r.requirements.empty()) std::cout << "requirements: " << join(r.requirements, " ; ") << "\n";
  }
  std::cout << "path: " << e.resolution.path << "\nreason: " << e.resolution.reason << "\n";
  for (const auto& w : e.resolution.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& n : p.device_nodes) std::cout << "node  " << n.path << " <- " << n.host_path << "\n";
  for (const auto& m : p.mounts)
    std::cout << "mount " << m.path << " <- " << m.host_path << (m.read_only ? " (ro)" : "") << "\n";
  for (const auto& l : p.links) std::cout << "link  " << l.path << " -> " << l.target << "\n";
  for (const auto& f : p.ldcache_folders) std::cout << "ldcache " << f << "\n";
  for (const auto& c : p.cgroup_rules)
    std::cout << "cgroup " << c.type << " " << c.major << ":" << c.minor << " " << c.access << "\n";
  for (const auto& h : p.hooks) std::cout << "hook  " << join(h.args, " ") << "\n";
  for (const auto& env : p.env) std::cout << "env   " << env << " (logged, not applied)\n";
}

void run_explain(const ExplainOptions& o) {
  auto config = config::load_hook_config(o.config);
  auto container = oci::read_container_config(o.bundle);
  auto e = plan::explain(container, config, plan::generate_options(config));
  if (o.format == "json") {
    std::cout << plan::to_json(e).dump(2) << "\n";
  } else {
    print_text(e);
  }
}

}  // namespace

void add_explain(CLI::App& app) {
  auto opts = std::make_shared<ExplainOptions>();
  auto* cmd = app.add_subcommand("explain", "What the prestart hook would do for a bundle (nothing is changed)");
  cmd->add_option("--bundle", opts->bundle, "The OCI bundle (holds config.json)")->required();
  cmd->add_option("--config", opts->config, "config.toml (default: as the hook finds it)");
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts] { run_explain(*opts); });
}

}  // namespace gpuhooks::cli
