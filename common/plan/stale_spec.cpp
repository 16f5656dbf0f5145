#include "common/plan/stale_spec.h"

#include <algorithm>
#include <optional>
#include <set>

#include "common/discovery/driver_version.h"
#include "common/discovery/proc_gpus.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::plan {
namespace {

constexpr std::string_view kVersionFlag = "--host-driver-version=";

// The driver version a spec was generated for: the argument of its enable-cuda-compat hook, wherever it sits.
std::optional<std::string> generated_for(const cdi::Spec& spec) {
  auto in = [](const cdi::ContainerEdits& edits) -> std::optional<std::string> {
    for (const auto& hook : edits.hooks)
      for (const auto& arg : hook.args)
        if (arg.starts_with(kVersionFlag)) return arg.substr(kVersionFlag.size());
    return std::nullopt;
  };
  if (auto v = in(spec.edits)) return v;
  for (const auto& d : spec.devices)
    if (auto v = in(d.edits)) return v;
  return std::nullopt;
}

std::optional<std::string> host_driver_version(const std::filesystem::path& proc) {
  auto text = discovery::read_proc_version_file(proc / "version");
  return text ? discovery::parse_proc_version(*text) : std::nullopt;
}

std::optional<std::set<std::string>> host_gpu_uuids(const std::filesystem::path& proc) {
  try {
    std::set<std::string> uuids;
    for (const auto& gpu : discovery::read_proc_gpus(proc)) uuids.insert(gpu.uuid);
    return uuids;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<std::string> stale_spec_warnings(const cdi::Registry& registry, const std::vector<std::string>& devices,
                                             const std::filesystem::path& driver_root) {
  const auto proc = driver_root / "proc/driver/nvidia";
  const auto version = host_driver_version(proc);
  if (!version) return {};
  const auto uuids = host_gpu_uuids(proc);
  std::vector<std::string> warnings;
  std::set<const cdi::LoadedSpec*> seen;
  for (const auto& name : devices) {
    auto ref = registry.find(name);
    if (!ref || !seen.insert(ref->spec).second) continue;
    std::vector<std::string> problems;
    if (auto v = generated_for(ref->spec->spec); v && *v != *version)
      problems.push_back("it was generated for driver " + *v + " but the host runs " + *version);
    std::vector<std::string> gone;
    if (uuids)
      for (const auto& d : ref->spec->spec.devices)
        if (d.name.starts_with("GPU-") && !uuids->contains(d.name)) gone.push_back(d.name);
    if (!gone.empty()) problems.push_back("it names " + join(gone, ", ") + ", which the host does not have");
    if (!problems.empty())
      warnings.push_back("CDI spec " + ref->spec->path + " is stale: " + join(problems, "; and ") + "; " + kRefreshFix);
  }
  return warnings;
}

}  // namespace gpuhooks::plan
