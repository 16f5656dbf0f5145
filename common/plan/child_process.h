#pragma once
// Children of the prestart hook, each waited for with a deadline (a hook that blocks blocks the container start,
// and runtimes do not kill it): the apply step's child in the container's mount namespace, and the plan's hooks.
#include <chrono>
#include <functional>
#include <string>

#include "common/plan/plan.h"

namespace gpuhooks::plan {

// Runs `body` in a child (its own process group, dying with us) and returns when it has ended. What `body` throws
// comes back as Error (one line). Past the deadline, whatever the child is blocked on, its group and the children it
// registered (rootfs::HookChild) are killed, its registered temporary files removed, the hook's deadline line names
// `what`, and the hook exits 1 from here: a child that shared our memory may have been stopped half way through
// changing it, so nothing of it is used again.
void run_in_child(const std::string& what, const std::function<void()>& body,
                  std::chrono::steady_clock::time_point deadline);

// Runs a CDI hook: exactly its args and env, the state on stdin (a sealed-off file), stdout to /dev/null, our stderr,
// no other descriptor; its own timeout (seconds) or a second before the deadline, whichever comes first. Error
// when it fails or hangs.
void run_hook(const Hook& hook, const std::string& state_json, std::chrono::steady_clock::time_point deadline);

}  // namespace gpuhooks::plan
