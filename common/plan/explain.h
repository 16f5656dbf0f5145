#pragma once
// What the prestart hook would do for a bundle, decided and not done: the request read from config.json, the path
// that serves it, and the plan. `gpuhooks explain` prints it; the hook applies it. One function for both, so what
// explain prints is what the hook does.
#include <nlohmann/json.hpp>

#include "common/config/hook_config.h"
#include "common/generate/spec_builder.h"
#include "common/oci/container_config.h"
#include "common/plan/resolve.h"
#include "common/request/request.h"

namespace gpuhooks::plan {

struct Explanation {
  request::Request request;
  Resolution resolution;
};

// The request's rules, then the resolution, then the requirements against the host (only when there are any: the
// CDI path looks at the driver root for them, never otherwise). Throws Error for what the hook rejects (an unknown
// capability, MIG in an unprivileged container, an unmet requirement). A request nothing can serve is not an
// error here: resolution.unserved and its reason say so.
Explanation explain(const oci::ContainerConfig& container, const config::HookConfig& config,
                    const generate::GenerateOptions& generate);

// The options of the request rules, from config.toml.
request::RequestOptions request_options(const config::HookConfig& config);

// The legacy path's spec options: our nvidia-cdi-hook beside the running binary (else /usr/bin), the configured
// ldconfig without its "@".
generate::GenerateOptions generate_options(const config::HookConfig& config);

// gpu_container, request{devices, driver_capabilities, requirements, disable_require, mig_config_devices,
// mig_monitor_devices, imex_channels}, path, reason, cdi_devices, plan.
nlohmann::json to_json(const Explanation& e);

}  // namespace gpuhooks::plan
