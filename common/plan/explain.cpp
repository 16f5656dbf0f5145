#include "common/plan/explain.h"

#include <unistd.h>

#include <filesystem>

#include "common/plan/legacy.h"
#include "common/request/requirements.h"

namespace gpuhooks::plan {
namespace {

std::string self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.parent_path().string();
}

void check_requirements(Explanation& e, const config::HookConfig& config) {
  if (e.request.requirements.empty() || e.resolution.unserved) return;
  if (!e.resolution.host) e.resolution.host = discover_for(e.request, config);
  const auto& host = *e.resolution.host;
  request::HostFacts facts;
  facts.cuda_version = host.cuda_version;
  facts.driver_version = host.driver_version;
  // Every rule must hold for each selected GPU with its own brand and arch (libnvidia-container.md A.3.5); with
  // none selected, once with both unknown.
  const auto gpus = selected_gpus(host, e.request.devices);
  if (gpus.empty()) request::check_requirements(e.request.requirements, facts);
  for (const auto* gpu : gpus) {
    facts.brand = gpu->brand;
    facts.compute_capabilities.clear();
    if (!gpu->compute_capability.empty()) facts.compute_capabilities.push_back(gpu->compute_capability);
    request::check_requirements(e.request.requirements, facts);
  }
}

nlohmann::json optional_string(const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nullptr; }

}  // namespace

request::RequestOptions request_options(const config::HookConfig& c) {
  request::RequestOptions o;
  o.swarm_resource = c.swarm_resource;
  o.accept_envvar_unprivileged = c.accept_envvar_unprivileged;
  o.accept_volume_mounts = c.accept_volume_mounts;
  o.supported_capabilities = c.supported_driver_capabilities;
  o.disable_require = c.disable_require;
  o.ignore_imex_channel_requests = c.ignore_imex_channel_requests;
  return o;
}

generate::GenerateOptions generate_options(const config::HookConfig& c) {
  generate::GenerateOptions o;
  std::string beside = self_dir() + "/nvidia-cdi-hook";
  o.hook_path = ::access(beside.c_str(), X_OK) == 0 ? beside : "/usr/bin/nvidia-cdi-hook";
  std::string ldconfig = c.cli.ldconfig;
  if (!ldconfig.empty() && ldconfig[0] == '@') ldconfig.erase(0, 1);
  o.ldconfig_path = ldconfig;
  // nvidia-container-runtime.modes.legacy.cuda-compat-mode: only ldconfig (the default) runs enable-cuda-compat.
  if (c.cuda_compat_mode != "ldconfig") o.disabled_hooks.push_back("enable-cuda-compat");
  return o;
}

Explanation explain(const oci::ContainerConfig& container, const config::HookConfig& config,
                    const generate::GenerateOptions& generate) {
  Explanation e;
  e.request = request::read_request(container, request_options(config));
  e.resolution = resolve(e.request, config, generate);
  check_requirements(e, config);
  return e;
}

nlohmann::json to_json(const Explanation& e) {
  const auto& r = e.request;
  return {{"gpu_container", r.gpu_container},
          {"request",
           {{"devices", r.devices},
            {"requested_by", r.requested_by},
            {"driver_capabilities", r.driver_capabilities},
            {"requirements", r.requirements},
            {"disable_require", r.disable_require},
            {"mig_config_devices", optional_string(r.mig_config_devices)},
            {"mig_monitor_devices", optional_string(r.mig_monitor_devices)},
            {"imex_channels", r.imex_channels}}},
          {"path", e.resolution.path},
          {"reason", e.resolution.reason},
          {"cdi_devices", e.resolution.cdi_devices},
          {"warnings", e.resolution.warnings},
          {"plan", to_json(e.resolution.plan)}};
}

}  // namespace gpuhooks::plan
