#pragma once
// `nvidia-container-runtime-hook prestart`: the state on stdin, the request from <bundle>/config.json, resolved CDI
// first (common/plan), checked, and applied inside the container (common/plan/apply.h).
#include <string>

#include "common/log/log.h"

namespace gpuhooks::prestart {

// Throws Error (one line) for anything that must fail the container start.
void run(const std::string& config_flag, log::Options log_options);

}  // namespace gpuhooks::prestart
