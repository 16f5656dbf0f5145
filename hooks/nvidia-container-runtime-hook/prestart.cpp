#include "prestart.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/config/hook_config.h"
#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/oci/state.h"
#include "common/plan/apply.h"
#include "common/plan/explain.h"
#include "common/rootfs/hook_deadline.h"
#include "common/split_join.h"

namespace gpuhooks::prestart {
namespace {

constexpr const char* kProgram = "nvidia-container-runtime-hook";

// The state on stdin: a runtime writes it at once and closes; a caller that never closes must not hang the start,
// and one that sends megabytes is not a runtime.
std::string read_stdin(std::chrono::steady_clock::time_point deadline) {
  std::string text;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    struct pollfd p {
      STDIN_FILENO, POLLIN, 0
    };
    int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) throw Error("no container state on stdin before the hook's deadline");
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot read the container state on stdin");
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) throw Error("container state on stdin is larger than 1 MiB");
  }
}

}  // namespace

void run(const std::string& config_flag, log::Options log_options) {
  // The deadline covers everything from here; NVIDIA_CTK_HOOK_TIMEOUT (the hook's own environment: a hooks.d file's
  // env) beats the config key, which is all Docker's --gpus hook, run with no environment, can be given.
  const auto start = std::chrono::steady_clock::now();
  const char* timeout_env = std::getenv(rootfs::kHookTimeoutVariable);
  rootfs::arm_hook_deadline(rootfs::hook_timeout(timeout_env), kProgram, start);
  const config::HookConfig config = config::load_hook_config(config_flag);
  if ((timeout_env == nullptr || *timeout_env == '\0') && config.hook_timeout.count() > 0)
    rootfs::arm_hook_deadline(config.hook_timeout, kProgram, start);
  if (!config.cli.debug.empty()) {
    log_options.file = config.cli.debug;
    log::setup(log_options);
  }
  spdlog::debug("config: {}", config.source.empty() ? "built-in defaults" : config.source);
  std::string state_json;
  {
    rootfs::HookStep step("reading the container state on stdin");
    state_json = read_stdin(rootfs::hook_deadline());
  }
  const oci::State state = oci::parse_state(state_json);
  if (state.bundle.empty()) throw Error("container state names no bundle");
  const oci::ContainerConfig container = oci::read_container_config(state.bundle);

  const plan::Explanation e = plan::explain(container, config, plan::generate_options(config));
  for (const auto& w : e.request.warnings) spdlog::warn("{}", w);
  if (!e.request.gpu_container) {
    spdlog::debug("{}", e.resolution.reason);
    return;
  }
  if (e.resolution.unserved) throw Error(e.resolution.reason);
  spdlog::info("{} path serves the container: {}", e.resolution.path, e.resolution.reason);
  spdlog::debug("devices {} requested by {}", oci::quote(join(e.request.devices, ",")), e.request.requested_by);
  for (const auto& w : e.resolution.warnings) spdlog::warn("{}", w);
  for (const auto& env : e.resolution.plan.env)
    spdlog::info("env edit {} not applied: the container's process already exists", env);

  plan::ApplyContext ctx;
  ctx.pid = state.pid.value_or(0);
  // crun sends the root in the state; runc only in config.json (already read: no second read of it).
  std::filesystem::path root = !state.root.empty() ? state.root : container.root_path;
  if (root.empty()) throw Error("config.json of bundle " + oci::quote(state.bundle) + " names no root");
  if (root.is_relative()) root = std::filesystem::path(state.bundle) / root;
  ctx.rootfs = root.lexically_normal();
  ctx.state_json = state_json;
  ctx.no_cgroups = config.cli.no_cgroups;
  // The apply child is killed a little before the hook's deadline, so that its own error says what it was doing.
  ctx.deadline = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(rootfs::hook_deadline() -
                                                                                std::chrono::steady_clock::now()) -
                              std::chrono::milliseconds(200),
                          std::chrono::milliseconds(1));
  plan::apply_plan(e.resolution.plan, ctx);
  spdlog::debug("applied: {} device nodes, {} mounts, {} links, {} ldcache folders, {} hooks",
                e.resolution.plan.device_nodes.size(), e.resolution.plan.mounts.size(), e.resolution.plan.links.size(),
                e.resolution.plan.ldcache_folders.size(), e.resolution.plan.hooks.size());
}

}  // namespace gpuhooks::prestart
