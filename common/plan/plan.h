#pragma once
// What the prestart hook will do in one container: plain data, filled from CDI edits (from_edits.h) whether the
// edits came from the registry or from legacy discovery (legacy.h), applied by apply.h, printed by
// `gpuhooks explain`. Paths without "host" are container paths.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpuhooks::plan {

struct DeviceNode {  // the host node bind-mounted onto an empty file at `path` (libnvidia-container's way)
  std::string path;
  std::string host_path;
  char type = 'c';
  unsigned major = 0;
  unsigned minor = 0;
  bool operator==(const DeviceNode&) const = default;
};

struct Mount {  // a bind mount of a host file or directory; a path under /proc only where the container has it
  std::string host_path;
  std::string path;
  bool read_only = true;
  bool no_exec = false;
  bool devices = false;  // the device nodes in it stay usable (no nodev): /dev/nvidia-caps
  bool operator==(const Mount&) const = default;
};

struct Link {  // a symlink in the container: path -> target (target stored as written)
  std::string target;
  std::string path;
  bool operator==(const Link&) const = default;
};

struct CgroupRule {  // allow rule for the container's device cgroup
  char type = 'c';
  unsigned major = 0;
  unsigned minor = 0;
  std::string access = "rw";
  bool operator==(const CgroupRule&) const = default;
};

struct Hook {  // a createContainer hook of a CDI spec that is not one of ours: run as a child, state on stdin
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
  bool operator==(const Hook&) const = default;
};

struct Plan {
  std::vector<DeviceNode> device_nodes;
  std::vector<Mount> mounts;
  std::vector<Link> links;
  std::vector<std::string> ldcache_folders;  // update-ldcache's --folder values: indexed after the mounts
  std::string ldconfig_path;                 // the host ldconfig for them
  std::vector<CgroupRule> cgroup_rules;
  std::vector<Hook> hooks;             // other vendors' hooks: children
  std::vector<std::string> own_hooks;  // our other hooks, `<hook> [flags] [-- <hook> [flags]]...`: in-process
  std::vector<std::string> env;        // env edits: too late for the container's process, logged only
  bool operator==(const Plan&) const = default;
};

nlohmann::json to_json(const Plan& plan);

// The mounts in the order they are made: shallowest destination first, in their order otherwise (a stable sort by
// the number of '/' in the cleaned path), as the runtimes' CDI path orders a spec's mounts (cdi.md §4.7). A directory
// mounted after a file under it would hide that file; in this order it never is.
void order_mounts(Plan& plan);

}  // namespace gpuhooks::plan
