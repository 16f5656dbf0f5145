#pragma once
// Filling a plan from merged CDI edits (cdi::merged_edits): the one way both GPU paths reach a plan. Device nodes
// are completed from the host (cdi::fill_from_host) and get a cgroup rule each; our own createContainer hooks
// (nvidia-cdi-hook create-symlinks, update-ldcache) become links and ldcache folders, done in-process; any other
// createContainer hook is kept to run as a child. Hooks of other stages, and additionalGids, cannot be honoured
// from a prestart hook: they are logged.
#include <vector>

#include "common/cdi/spec/spec.h"
#include "common/plan/plan.h"

namespace gpuhooks::plan {

// Throws Error for a device node the host does not have, and for an invalid --link of our create-symlinks.
Plan plan_from_edits(const std::vector<const cdi::ContainerEdits*>& edits);

}  // namespace gpuhooks::plan
