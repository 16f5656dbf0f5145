#include "common/cdi/edits/inject.h"

#include <algorithm>

#include "common/cdi/edits/apply_edits.h"
#include "common/error.h"

namespace gpuhooks::cdi {

std::vector<std::string> unresolved_devices(const Registry& registry, const std::vector<std::string>& devices) {
  std::vector<std::string> out;
  for (const auto& d : devices)
    if (!registry.find(d)) out.push_back(d);
  return out;
}

std::vector<const ContainerEdits*> merged_edits(const Registry& registry, const std::vector<std::string>& devices) {
  std::vector<const ContainerEdits*> parts;
  std::vector<const LoadedSpec*> seen_specs;
  std::string unresolved;
  for (const auto& name : devices) {
    auto ref = registry.find(name);
    if (!ref) {
      unresolved += (unresolved.empty() ? "" : ", ") + name;
      continue;
    }
    // A device asked for twice has its edits appended twice (the reference does the same).
    if (std::find(seen_specs.begin(), seen_specs.end(), ref->spec) == seen_specs.end()) {
      seen_specs.push_back(ref->spec);
      parts.push_back(&ref->spec->spec.edits);
    }
    parts.push_back(&ref->device->edits);
  }
  if (!unresolved.empty()) throw Error("unresolvable CDI devices " + unresolved);
  return parts;
}

void inject_devices(nlohmann::json& oci, const Registry& registry, const std::vector<std::string>& devices) {
  if (devices.empty()) return;
  auto parts = merged_edits(registry, devices);
  nlohmann::json edited = oci;
  try {
    apply_edits(edited, parts);
  } catch (const Error& e) {
    throw Error(std::string("failed to inject devices: ") + e.what());
  }
  oci = std::move(edited);
}

}  // namespace gpuhooks::cdi
