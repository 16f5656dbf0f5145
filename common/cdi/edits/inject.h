#pragma once
// Injecting CDI devices into an OCI runtime spec (the reference's Cache.InjectDevices, cdi.md §4.1): every name must
// resolve first, or nothing changes; then the merged edits - each spec's global edits once, before its first
// device, in request order - are applied (apply_edits.h).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cdi/registry/registry.h"

namespace gpuhooks::cdi {

// Names that are not in the registry (exact string match), in request order.
std::vector<std::string> unresolved_devices(const Registry& registry, const std::vector<std::string>& devices);

// The merged edit list for `devices`; throws Error("unresolvable CDI devices a, b") when any is unknown.
// The pointers refer into the registry: it must outlive the result.
std::vector<const ContainerEdits*> merged_edits(const Registry& registry, const std::vector<std::string>& devices);

// Throws Error("unresolvable CDI devices ...") or Error("failed to inject devices: ...") and leaves `oci` unchanged
// in both cases: the edits go to a copy that replaces `oci` only when all of them applied. (The reference's Apply is
// not transactional; a half-edited spec helps no one.) No devices: nothing changes.
void inject_devices(nlohmann::json& oci, const Registry& registry, const std::vector<std::string>& devices);

}  // namespace gpuhooks::cdi
