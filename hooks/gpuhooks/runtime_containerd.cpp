// containerd's config.toml (nvidia-hooks.md §3.6). What a Kubernetes node needs from it is CDI in the CRI plugin
// (`enable_cdi`, `cdi_spec_dirs`: containerd 1.7+ then gives pods the devices of the specs `gpuhooks cdi generate`
// writes; 1.6 ignores both keys), plus a `nvidia` runtime (a RuntimeClass handler) copied from the default runtime
// with its binary replaced.
//
// The CRI plugin's name depends on the config version: `cri` (1), `io.containerd.grpc.v1.cri` (2),
// `io.containerd.cri.v1.runtime` (3, containerd 2.x). An existing file without `version` is version 1; a new or
// empty one gets version 2.
//
// With a drop-in (the default), the settings go there and the main file only gets `imports` extended with the
// drop-in's directory glob. containerd 1.x replaces a plugin's whole table with an imported file's (seen with 1.6.20:
// a drop-in's CRI table drops the main file's sandbox_image), so the drop-in carries a copy of the main file's CRI
// table with the settings applied, refreshed on every run.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/error.h"
#include "runtime_configure.h"
#include "runtime_toml.h"

namespace gpuhooks::cli {
namespace {

int config_version(const TomlFile& f) {
  const toml::node* v = f.table.get("version");
  if (!v) return f.table.empty() ? 2 : 1;
  const std::optional<int64_t> n = v->value<int64_t>();
  if (!n || *n < 1 || *n > 3) throw Error("cannot use " + f.path + ": version must be 1, 2 or 3");
  return static_cast<int>(*n);
}

const char* cri_plugin(int version) {
  return version == 1 ? "cri" : version == 2 ? "io.containerd.grpc.v1.cri" : "io.containerd.cri.v1.runtime";
}

// The settings, applied to `doc`'s CRI plugin table.
void apply(toml::table& doc, int version, const std::string& file, const RuntimeOptions& opts) {
  toml::table& cri = ensure_table(doc, {"plugins", cri_plugin(version)}, file);
  toml::table& containerd = ensure_table(cri, {"containerd"}, file);
  toml::table& runtimes = ensure_table(containerd, {"runtimes"}, file);

  // The new runtime copies the default one, else runc, else crun (their options, cgroup driver included).
  const std::string default_name = string_at(&containerd, "default_runtime_name");
  toml::table runtime;
  bool copied = false;
  for (const std::string& base : {default_name, std::string("runc"), std::string("crun")}) {
    if (const toml::table* t = base.empty() ? nullptr : find_table(runtimes, {base}, file)) {
      runtime = *t;
      copied = true;
      spdlog::debug("{}: runtime {} copies runtime {}", file, opts.runtime_name, base);
      break;
    }
  }
  if (!copied) {
    runtime.insert_or_assign("runtime_type", "io.containerd.runc.v2");
    runtime.insert_or_assign("runtime_root", "");
    runtime.insert_or_assign("runtime_engine", "");
    runtime.insert_or_assign("privileged_without_host_devices", false);
  }
  if (!runtime.contains("runtime_type")) runtime.insert_or_assign("runtime_type", "io.containerd.runc.v2");
  ensure_table(runtime, {"options"}, file).insert_or_assign("BinaryName", opts.runtime_path);
  runtimes.insert_or_assign(opts.runtime_name, std::move(runtime));

  if (opts.set_as_default) {
    containerd.insert_or_assign("default_runtime_name", opts.runtime_name);
  } else if (default_name == opts.runtime_name) {
    containerd.erase("default_runtime_name");  // as nvidia-ctk: not asked to be the default, so it stops being one
  }
  if (opts.cdi) {
    cri.insert_or_assign("enable_cdi", true);
    cri.insert_or_assign("cdi_spec_dirs", toml::array{"/etc/cdi", "/var/run/cdi"});
  }
}

// Adds `entry` to the main file's imports unless it, or the drop-in itself, is there. True when it changed.
bool add_import(TomlFile& main, const std::string& entry, const std::string& drop_in) {
  toml::node* imports = main.table.get("imports");
  if (!imports) imports = &main.table.insert_or_assign("imports", toml::array{}).first->second;
  toml::array* list = imports->as_array();
  if (!list) throw Error("cannot use " + main.path + ": imports is not an array");
  for (const toml::node& n : *list) {
    if (n.value<std::string>() == entry || n.value<std::string>() == drop_in) return false;
  }
  list->push_back(entry);
  return true;
}

}  // namespace

std::vector<FileChange> configure_containerd(const RuntimeOptions& opts) {
  const std::string main_path = opts.config.empty() ? "/etc/containerd/config.toml" : opts.config;
  const std::string drop_in = opts.drop_in.value_or("/etc/containerd/conf.d/99-nvidia.toml");
  TomlFile main = read_toml_file(main_path);
  const int version = config_version(main);
  if (!main.table.contains("version") && version != 1) main.table.insert_or_assign("version", int64_t{version});

  if (drop_in.empty()) {
    apply(main.table, version, main.path, opts);
    return {{main.path, toml_text(main.table), main.had_comments}};
  }

  TomlFile dropped = read_toml_file(drop_in);
  dropped.table.insert_or_assign("version", int64_t{version});
  toml::table& plugins = ensure_table(dropped.table, {"plugins"}, drop_in);
  if (const toml::table* cri = find_table(main.table, {"plugins", cri_plugin(version)}, main.path)) {
    plugins.insert_or_assign(cri_plugin(version), *cri);
  } else {
    plugins.erase(cri_plugin(version));
  }
  apply(dropped.table, version, drop_in, opts);
  std::vector<FileChange> changes{{drop_in, toml_text(dropped.table), dropped.had_comments}};
  // The drop-in first: until the main file imports it, containerd does not read it.
  const std::string glob = (std::filesystem::path(drop_in).parent_path() / "*.toml").string();
  if (add_import(main, glob, drop_in) || !main.existed) {
    changes.push_back({main.path, toml_text(main.table), main.had_comments});
  }
  return changes;
}

}  // namespace gpuhooks::cli
