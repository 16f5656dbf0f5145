#include "common/generate/spec_builder.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/cdi/spec/names.h"
#include "common/cdi/spec/version.h"
#include "common/discovery/proc_gpus.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::generate {
namespace {

using discovery::DriverFile;

const std::vector<std::string> kKnownHooks = {"create-symlinks",
                                              "enable-cuda-compat",
                                              "update-ldcache",
                                              "disable-device-node-modification",
                                              "update-application-profile",
                                              "chmod"};
// nvidia-hooks.md §3.2: files are bind-mounted read-only; IPC sockets stay writable but not executable.
const std::vector<std::string> kMountOptions = {"ro", "nosuid", "nodev", "rbind", "rprivate"};
const std::vector<std::string> kIpcMountOptions = {"nosuid", "nodev", "rbind", "rprivate", "noexec"};

class Hooks {
 public:
  explicit Hooks(const GenerateOptions& o) : options_(o) {}

  bool enabled(const std::string& name) const {
    auto has = [&](const std::vector<std::string>& v, const std::string& s) {
      return std::find(v.begin(), v.end(), s) != v.end();
    };
    if (has(options_.enabled_hooks, name)) return true;
    if (name == "chmod") return false;  // deprecated, disabled by default since v1.18.0-rc.3 (§1.8)
    return !has(options_.disabled_hooks, "all") && !has(options_.disabled_hooks, name);
  }

  // nvidia-hooks.md §1.10: createContainer, the hook CLI's argv, and an explicit env so runtimes never hand the
  // container's environment to the hook (CVE-2025-23266).
  void add(std::vector<cdi::Hook>& hooks, const std::string& name, const std::vector<std::string>& args) const {
    if (!enabled(name)) return;
    cdi::Hook h;
    h.hook_name = "createContainer";
    h.path = options_.hook_path;
    if (std::filesystem::path(options_.hook_path).filename() == "nvidia-ctk") {
      h.args = {"nvidia-ctk", "hook", name};
    } else {
      h.args = {"nvidia-cdi-hook", name};
    }
    h.args.insert(h.args.end(), args.begin(), args.end());
    h.env = {std::string("NVIDIA_CTK_DEBUG=") + (options_.debug ? "true" : "false")};
    hooks.push_back(std::move(h));
  }

  // One createContainer hook process for all of ours in `hooks`: `<hook> [args] -- <hook> [args] ...`, in their
  // order (nvidia-cdi-hook runs them in one process, the state read once). --separate-hooks keeps one hook per
  // subcommand, for specs that NVIDIA's nvidia-cdi-hook must run.
  void merge(std::vector<cdi::Hook>& hooks) const {
    if (options_.separate_hooks || hooks.size() < 2) return;
    const size_t prefix = std::filesystem::path(options_.hook_path).filename() == "nvidia-ctk" ? 2 : 1;
    cdi::Hook merged = hooks.front();
    for (size_t i = 1; i < hooks.size(); ++i) {
      merged.args.push_back("--");
      merged.args.insert(merged.args.end(), hooks[i].args.begin() + static_cast<long>(prefix), hooks[i].args.end());
    }
    hooks = {std::move(merged)};
  }

 private:
  const GenerateOptions& options_;
};

size_t depth(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }
bool by_depth_then_path(const std::string& a, const std::string& b) {
  return depth(a) != depth(b) ? depth(a) < depth(b) : a < b;
}

cdi::DeviceNode device_node(const discovery::DeviceNode& n) {
  cdi::DeviceNode d;
  d.path = n.path;
  if (n.host_path != n.path) d.host_path = n.host_path;  // the reference omits hostPath when it equals path
  d.major = n.major;
  d.minor = n.minor;
  d.file_mode = n.mode & 0777;
  d.permissions = "rwm";
  if (n.gid != 0) d.gid = n.gid;
  return d;
}

void add_nodes(cdi::ContainerEdits& edits, const std::vector<discovery::DeviceNode>& nodes) {
  for (const auto& n : nodes) {
    cdi::DeviceNode d = device_node(n);
    if (std::find(edits.device_nodes.begin(), edits.device_nodes.end(), d) != edits.device_nodes.end()) continue;
    edits.device_nodes.push_back(d);
    // Group-owned nodes that others may not use need the group in the container (§3.2 additionalGids).
    if (n.gid != 0 && (n.mode & 0006) != 0006 &&
        std::find(edits.additional_gids.begin(), edits.additional_gids.end(), n.gid) == edits.additional_gids.end()) {
      edits.additional_gids.push_back(n.gid);
    }
  }
}

void sort_edits(cdi::ContainerEdits& e) {
  std::stable_sort(e.device_nodes.begin(), e.device_nodes.end(),
                   [](const auto& a, const auto& b) { return by_depth_then_path(a.path, b.path); });
  std::stable_sort(e.mounts.begin(), e.mounts.end(),
                   [](const auto& a, const auto& b) { return by_depth_then_path(a.container_path, b.container_path); });
}

// A device's edits: its nodes, and for DRM nodes the by-path links (and chmod of their directory, when enabled).
struct Selected {
  std::string index_name;       // "0", "0:1"
  std::string uuid;             // "GPU-…", "MIG-…"
  std::string type_index_name;  // "gpu0", "mig0:1"
  cdi::ContainerEdits edits;
};

cdi::ContainerEdits gpu_edits(const discovery::HostDiscovery& host, const discovery::Gpu& gpu, const Hooks& hooks) {
  cdi::ContainerEdits e;
  auto nodes = discovery::find_gpu_nodes(host.dev_root, gpu);
  add_nodes(e, nodes);
  std::vector<std::string> links;
  for (const auto& [target, link] : discovery::find_drm_by_path_links(host.dev_root, gpu)) {
    links.insert(links.end(), {"--link", target + "::" + link});
  }
  if (!links.empty()) hooks.add(e.hooks, "create-symlinks", links);
  if (nodes.size() > 1) hooks.add(e.hooks, "chmod", {"--mode", "755", "--path", "/dev/dri"});
  return e;
}

std::vector<Selected> all_devices(const discovery::HostDiscovery& host, const Hooks& hooks) {
  std::vector<Selected> out;
  for (const auto& gpu : host.gpus) {
    std::string i = std::to_string(gpu.index);
    if (!gpu.mig_enabled) {  // MIG-enabled parents are not devices of their own (§3.2)
      out.push_back({i, gpu.uuid, "gpu" + i, gpu_edits(host, gpu, hooks)});
    }
    for (const auto& mig : gpu.migs) {
      std::string m = i + ":" + std::to_string(mig.index);
      cdi::ContainerEdits e;
      add_nodes(e, discovery::find_mig_nodes(host.dev_root, gpu, mig));
      out.push_back({m, mig.uuid, "mig" + m, std::move(e)});
    }
  }
  return out;
}

bool matches(const Selected& d, const std::string& id) { return id == d.index_name || id == d.uuid; }

std::vector<Selected> select_devices(std::vector<Selected> devices, const std::vector<std::string>& ids) {
  if (std::find(ids.begin(), ids.end(), "all") != ids.end()) return devices;
  std::vector<Selected> out;
  for (const auto& id : ids) {
    if (id == "none") continue;
    auto it = std::find_if(devices.begin(), devices.end(), [&](const Selected& d) { return matches(d, id); });
    if (it == devices.end()) throw Error("--device-id " + id + ": no such GPU or MIG device on this host");
    if (std::none_of(out.begin(), out.end(), [&](const Selected& d) { return d.uuid == it->uuid; })) out.push_back(*it);
  }
  return out;
}

void merge_into(cdi::ContainerEdits& all, const cdi::ContainerEdits& e) {
  for (const auto& n : e.device_nodes) {
    if (std::find(all.device_nodes.begin(), all.device_nodes.end(), n) == all.device_nodes.end())
      all.device_nodes.push_back(n);
  }
  for (const auto& h : e.hooks) {
    if (std::find(all.hooks.begin(), all.hooks.end(), h) == all.hooks.end()) all.hooks.push_back(h);
  }
  for (auto gid : e.additional_gids) {
    if (std::find(all.additional_gids.begin(), all.additional_gids.end(), gid) == all.additional_gids.end()) {
      all.additional_gids.push_back(gid);
    }
  }
}

cdi::Mount mount_of(const DriverFile& f) {
  return {f.host_path, f.path, f.kind == DriverFile::Kind::kIpcSocket ? kIpcMountOptions : kMountOptions, ""};
}

cdi::ContainerEdits common_edits(const discovery::HostDiscovery& host, const GenerateOptions& options,
                                 const Hooks& hooks) {
  cdi::ContainerEdits e;
  auto lib_dirs = host.files.library_dirs();
  if (!lib_dirs.empty()) {
    e.env.push_back("NVIDIA_CTK_LIBCUDA_DIR=" + join(lib_dirs, ":"));
  }
  e.env.push_back("NVIDIA_VISIBLE_DEVICES=void");  // a legacy hook must not act a second time
  add_nodes(e, host.control_nodes);
  for (const auto& f : host.files.files) {
    if (f.kind != DriverFile::Kind::kLibrary32) e.mounts.push_back(mount_of(f));
  }
  std::vector<std::string> links;
  for (const auto& [target, link] : host.library_links) links.insert(links.end(), {"--link", target + "::" + link});
  if (!links.empty()) hooks.add(e.hooks, "create-symlinks", links);
  if (host.driver_version.find('*') == std::string::npos) {
    hooks.add(e.hooks, "enable-cuda-compat", {"--host-driver-version=" + host.driver_version});
  }
  if (!lib_dirs.empty()) {  // no libraries, nothing for ldconfig to index (§1.10, since 2026-06)
    std::vector<std::string> args;
    if (!options.ldconfig_path.empty()) args = {"--ldconfig-path", options.ldconfig_path};
    std::vector<std::string> folders;
    for (const auto* lib : host.files.of_kind(DriverFile::Kind::kLibrary)) {
      std::string dir = std::filesystem::path(lib->path).parent_path().string();
      if (std::find(folders.begin(), folders.end(), dir) == folders.end()) folders.push_back(dir);
    }
    for (const auto& f : folders) args.insert(args.end(), {"--folder", f});
    hooks.add(e.hooks, "update-ldcache", args);
  }
  hooks.add(e.hooks, "disable-device-node-modification", {});
  hooks.add(e.hooks, "update-application-profile", {});
  sort_edits(e);
  return e;
}

}  // namespace

void validate_generate_options(const GenerateOptions& o) {
  if (auto err = cdi::vendor_name_error(o.vendor)) throw Error("--vendor: " + *err);
  if (auto err = cdi::class_name_error(o.class_name)) throw Error("--class: " + *err);
  for (const auto& s : o.device_name_strategies) {
    if (s != "index" && s != "uuid" && s != "type-index") {
      throw Error("invalid device name strategy: " + s + " (index, uuid or type-index)");
    }
  }
  for (const auto& h : o.enabled_hooks) {
    if (h == "all") throw Error("enabling all hooks is not supported");
  }
  for (const auto& id : o.device_ids) {
    if (id == "all" || id == "none" || discovery::is_device_uuid(id)) continue;
    bool index = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(c) || c == ':'; }) &&
                 std::count(id.begin(), id.end(), ':') <= 1 && id.front() != ':' && id.back() != ':';
    if (!index) throw Error("--device-id " + id + ": identifier is not a valid UUID or index");
  }
}

cdi::Spec build_spec(const discovery::HostDiscovery& host, const GenerateOptions& options) {
  validate_generate_options(options);
  Hooks hooks(options);
  cdi::Spec spec;
  spec.kind = options.vendor + "/" + options.class_name;
  spec.edits = common_edits(host, options, hooks);
  hooks.merge(spec.edits.hooks);
  auto selected = select_devices(all_devices(host, hooks), options.device_ids);
  cdi::Device all{"all", {}, {}};
  for (auto& d : selected) {
    sort_edits(d.edits);
    hooks.merge(d.edits.hooks);
    merge_into(all.edits, d.edits);
    for (const auto& strategy : options.device_name_strategies) {
      std::string name = strategy == "index" ? d.index_name : strategy == "uuid" ? d.uuid : d.type_index_name;
      if (std::none_of(spec.devices.begin(), spec.devices.end(), [&](const auto& x) { return x.name == name; })) {
        spec.devices.push_back({name, {}, d.edits});
      }
    }
  }
  bool none = std::find(options.device_ids.begin(), options.device_ids.end(), "none") != options.device_ids.end();
  if (none) spec.devices.push_back({"none", {}, cdi::ContainerEdits{{"NVCT_EMPTY_DEVICE="}, {}, {}, {}, {}, {}, {}}});
  bool named_all = std::any_of(spec.devices.begin(), spec.devices.end(), [](const auto& d) { return d.name == "all"; });
  if (!options.no_all_device && !none && !selected.empty() && !named_all) {
    sort_edits(all.edits);
    spec.devices.push_back(std::move(all));
  }
  std::sort(spec.devices.begin(), spec.devices.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  spec.cdi_version = cdi::minimum_required_version(spec);
  return spec;
}

}  // namespace gpuhooks::generate
