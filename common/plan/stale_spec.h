#pragma once
// A CDI spec that no longer describes the host: written for another driver version (its enable-cuda-compat hook
// names the version it was generated for), or naming a GPU UUID the host no longer has. Such a spec still resolves,
// so nothing else would say why a container got the wrong libraries or a GPU that is not there: the prestart hook
// warns, with the fix (the package's refresh service regenerates /var/run/cdi/nvidia.yaml).
#include <filesystem>
#include <string>
#include <vector>

#include "common/cdi/registry/registry.h"

namespace gpuhooks::plan {

inline constexpr const char* kRefreshFix = "regenerate it with: systemctl start gpuhooks-cdi-refresh.service";

// One warning per stale spec among those that serve `devices` (qualified names that resolve in `registry`),
// judged against the driver under `driver_root` (/proc/driver/nvidia there). A host whose driver cannot be read
// (no kernel module loaded) gives no warning: there is nothing to compare with.
std::vector<std::string> stale_spec_warnings(const cdi::Registry& registry, const std::vector<std::string>& devices,
                                             const std::filesystem::path& driver_root);

}  // namespace gpuhooks::plan
