#include "common/plan/from_edits.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/cdi/edits/host_device.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::plan {
namespace {

template <typename T>
bool has_item(const std::vector<T>& v, const T& item) {
  return std::find(v.begin(), v.end(), item) != v.end();
}

template <typename T>
void add_once(std::vector<T>& v, T item) {
  if (!has_item(v, item)) v.push_back(std::move(item));
}

// The subcommand and its arguments when `h` runs one of our hooks: nvidia-cdi-hook <name> ..., or the
// nvidia-ctk hook <name> ... form of runtime just-in-time specs.
std::optional<std::vector<std::string>> our_hook_args(const cdi::Hook& h) {
  const std::string exe = std::filesystem::path(h.path).filename().string();
  if (exe == "nvidia-cdi-hook" && h.args.size() >= 2) return std::vector<std::string>(h.args.begin() + 1, h.args.end());
  if (exe == "nvidia-ctk" && h.args.size() >= 3 && h.args[1] == "hook")
    return std::vector<std::string>(h.args.begin() + 2, h.args.end());
  return std::nullopt;
}

// The values of a repeatable flag (`--flag v`, `--flag=v`, comma lists), as CLI11 reads them in the hook.
std::vector<std::string> flag_values(const std::vector<std::string>& args, const std::string& flag) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == flag && i + 1 < args.size()) {
      value = args[++i];
    } else if (args[i].rfind(flag + "=", 0) == 0) {
      value = args[i].substr(flag.size() + 1);
    } else {
      continue;
    }
    for (auto& v : split(value, ',')) out.push_back(std::move(v));
  }
  return out;
}

void add_device_node(Plan& plan, const cdi::DeviceNode& spec_node) {
  cdi::DeviceNode n = cdi::fill_from_host(spec_node);
  if (n.type != "c" && n.type != "b") {
    spdlog::debug("Skipping device node {} of type {}: only block and character nodes are bound", n.path, n.type);
    return;
  }
  DeviceNode node{n.path, n.host_path.empty() ? n.path : n.host_path, n.type[0],
                  static_cast<unsigned>(n.major.value_or(0)), static_cast<unsigned>(n.minor.value_or(0))};
  if (has_item(plan.device_nodes, node)) return;
  plan.device_nodes.push_back(node);
  std::string access = n.permissions.empty() ? "rwm" : n.permissions;
  add_once(plan.cgroup_rules, CgroupRule{node.type, node.major, node.minor, access});
}

void add_links(Plan& plan, const std::vector<std::string>& args) {
  for (const auto& spec : flag_values(args, "--link")) {
    auto sep = spec.find("::");
    if (sep == std::string::npos || spec.find("::", sep + 2) != std::string::npos)
      throw Error("invalid symlink specification " + spec);
    add_once(plan.links, Link{spec.substr(0, sep), spec.substr(sep + 2)});
  }
}

void add_ldcache(Plan& plan, const std::vector<std::string>& args) {
  for (auto& f : flag_values(args, "--folder")) add_once(plan.ldcache_folders, std::move(f));
  if (auto p = flag_values(args, "--ldconfig-path"); !p.empty()) plan.ldconfig_path = p.back();
}

void add_hook(Plan& plan, const cdi::Hook& h) {
  if (h.hook_name != "createContainer") {
    spdlog::warn("CDI {} hook {} cannot run from a prestart hook; skipped", h.hook_name, h.path);
    return;
  }
  auto args = our_hook_args(h);
  if (!args) {
    add_once(plan.hooks, Hook{h.path, h.args, h.env, h.timeout});
    return;
  }
  // Ours, one subcommand or several (`a [flags] -- b [flags]`): links and ldcache folders are applied by the plan;
  // the other subcommands run in the prestart hook's own process (common/cdihooks), the state handed to them.
  std::vector<std::string> segment;
  auto flush = [&] {
    if (segment.empty()) return;
    if (segment[0] == "create-symlinks") {
      add_links(plan, segment);
    } else if (segment[0] == "update-ldcache") {
      add_ldcache(plan, segment);
    } else {
      if (!plan.own_hooks.empty()) plan.own_hooks.push_back("--");
      plan.own_hooks.insert(plan.own_hooks.end(), segment.begin(), segment.end());
    }
    segment.clear();
  };
  for (const auto& a : *args) {
    if (a == "--") {
      flush();
    } else {
      segment.push_back(a);
    }
  }
  flush();
}

}  // namespace

Plan plan_from_edits(const std::vector<const cdi::ContainerEdits*>& edits) {
  Plan plan;
  for (const auto* e : edits) {
    for (const auto& v : e->env) add_once(plan.env, v);
    for (const auto& n : e->device_nodes) add_device_node(plan, n);
    for (const auto& m : e->mounts) {
      // A prestart hook can bind host paths; a filesystem mount (tmpfs, ...) is the runtime's to make.
      if (!m.type.empty() && m.type != "bind" && !has_item<std::string>(m.options, "bind") &&
          !has_item<std::string>(m.options, "rbind"))
        throw Error("CDI mount of type " + m.type + " at " + m.container_path + " cannot be made by a prestart hook");
      add_once(plan.mounts, Mount{m.host_path, m.container_path, has_item<std::string>(m.options, "ro"),
                                  has_item<std::string>(m.options, "noexec")});
    }
    for (const auto& h : e->hooks) add_hook(plan, h);
    for (auto gid : e->additional_gids)
      spdlog::debug("additionalGids {} cannot reach an already created process; skipped", gid);
    if (!e->net_devices.empty() || e->intel_rdt)
      spdlog::warn("CDI netDevices and intelRdt are not applied by a prestart hook");
  }
  if (!plan.ldcache_folders.empty() && plan.ldconfig_path.empty()) plan.ldconfig_path = "/sbin/ldconfig";
  return plan;
}

}  // namespace gpuhooks::plan
