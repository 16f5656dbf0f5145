// CRI-O's crio.conf (nvidia-hooks.md §3.6): a `[crio.runtime.runtimes.<name>]` entry (a RuntimeClass handler) copied
// from the default runtime with its binary replaced, and `crio.runtime.default_runtime` on request. CRI-O has CDI on
// always (its cdi_spec_dirs default to /etc/cdi and /var/run/cdi), so --cdi.enabled has nothing to set here.
//
// With a drop-in (the default), only the drop-in is written: CRI-O reads every file of crio.conf.d itself, key by
// key over crio.conf, so the drop-in holds just these settings and crio.conf is only read (for the runtime to copy).
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "runtime_configure.h"
#include "runtime_toml.h"

namespace gpuhooks::cli {
namespace {

// The runtime to copy: the default runtime, else runc, else crun, looked up in the drop-in and then the main file
// (CRI-O sees the drop-in's keys over crio.conf's).
std::optional<toml::table> base_runtime(const std::vector<const TomlFile*>& files) {
  std::string default_name;
  for (const TomlFile* f : files) {
    if (default_name.empty())
      default_name = string_at(find_table(f->table, {"crio", "runtime"}, f->path), "default_runtime");
  }
  for (const std::string& base : {default_name, std::string("runc"), std::string("crun")}) {
    if (base.empty()) continue;
    for (const TomlFile* f : files) {
      if (const toml::table* t = find_table(f->table, {"crio", "runtime", "runtimes", base}, f->path)) {
        spdlog::debug("{}: the new runtime copies runtime {}", f->path, base);
        return *t;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<FileChange> configure_crio(const RuntimeOptions& opts) {
  const std::string main_path = opts.config.empty() ? "/etc/crio/crio.conf" : opts.config;
  const std::string drop_in = opts.drop_in.value_or("/etc/crio/crio.conf.d/99-nvidia.toml");
  if (opts.cdi) spdlog::info("CRI-O has CDI on always (spec dirs /etc/cdi, /var/run/cdi): --cdi.enabled sets nothing");
  TomlFile main = read_toml_file(main_path);
  std::optional<TomlFile> dropped;
  if (!drop_in.empty()) dropped = read_toml_file(drop_in);
  TomlFile& target = dropped ? *dropped : main;

  std::vector<const TomlFile*> sources{&main};
  if (dropped) sources.insert(sources.begin(), &*dropped);
  toml::table runtime = base_runtime(sources).value_or(toml::table{});
  runtime.insert_or_assign("runtime_path", opts.runtime_path);
  runtime.insert_or_assign("runtime_type", "oci");

  toml::table& crio_runtime = ensure_table(target.table, {"crio", "runtime"}, target.path);
  ensure_table(crio_runtime, {"runtimes"}, target.path).insert_or_assign(opts.runtime_name, std::move(runtime));
  if (opts.set_as_default) {
    crio_runtime.insert_or_assign("default_runtime", opts.runtime_name);
  } else if (string_at(&crio_runtime, "default_runtime") == opts.runtime_name) {
    crio_runtime.erase("default_runtime");  // as nvidia-ctk: not asked to be the default, so it stops being one
  }
  return {{target.path, toml_text(target.table), target.had_comments}};
}

}  // namespace gpuhooks::cli
