#pragma once
// Applying merged CDI edits to an OCI runtime spec held as JSON (cdi.md §4.3-4.10, HEAD semantics), in the fixed
// order: env (an existing key is replaced in place), device nodes (filled from the host, replaced by container
// path) with their cgroup allow rules, net devices, mounts (then all mounts sorted by depth), hooks per stage,
// intelRdt (replaced whole), additionalGids (0 and duplicates skipped).
#include <nlohmann/json.hpp>
#include <vector>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

// `parts` is the merged edit list (inject.h): concatenated per field, intelRdt last-non-null-wins.
// Throws Error for a host device that cannot be filled in, or for an OCI spec field of the wrong JSON type
// (`OCI spec: process.env is not an array`). On error `oci` may be half edited: inject_devices() applies to a copy.
void apply_edits(nlohmann::json& oci, const std::vector<const ContainerEdits*>& parts);

}  // namespace gpuhooks::cdi
