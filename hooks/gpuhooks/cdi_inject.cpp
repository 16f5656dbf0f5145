// `gpuhooks cdi inject --device NAME... [--bundle DIR | --config FILE]`: injects CDI devices into an OCI bundle's
// config.json, rewriting it atomically (temp file + rename). Any error - a name that does not resolve, a host node
// that cannot be read, an unreadable config - leaves the file as it was.
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "atomic_file.h"
#include "cdi_cli_common.h"
#include "command.h"
#include "common/cdi/edits/inject.h"
#include "common/error.h"

namespace gpuhooks::cli {
namespace {

struct InjectOptions {
  std::vector<std::string> devices;
  std::vector<std::string> spec_dirs;
  std::string bundle;
  std::string config;
};

nlohmann::json read_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sys_error("cannot read OCI spec " + path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error("cannot parse OCI spec " + path + ": " + e.what());
  }
}

void run_inject(const InjectOptions& opts) {
  std::string path = !opts.config.empty() ? opts.config : (opts.bundle.empty() ? "." : opts.bundle) + "/config.json";
  nlohmann::json oci = read_config(path);
  cdi::Registry registry = load_registry(opts.spec_dirs);
  try {
    cdi::inject_devices(oci, registry, opts.devices);
  } catch (const Error&) {
    warn_spec_errors(registry);
    throw;
  }
  replace_file_atomically(path, oci.dump(2) + "\n");
  spdlog::debug("injected {} CDI device(s) into {}", opts.devices.size(), path);
}

}  // namespace

void add_inject(CLI::App& group) {
  auto opts = std::make_shared<InjectOptions>();
  auto* cmd = group.add_subcommand("inject", "Inject CDI devices into an OCI bundle's config.json (in place)");
  cmd->add_option("--device", opts->devices, "Qualified CDI device name (vendor/class=name), repeatable")->required();
  auto* bundle = cmd->add_option("--bundle", opts->bundle, "OCI bundle directory (config.json inside; default: .)");
  cmd->add_option("--config", opts->config, "OCI runtime spec file")->excludes(bundle);
  add_spec_dir_option(*cmd, opts->spec_dirs);
  cmd->callback([opts] { run_inject(*opts); });
}

}  // namespace gpuhooks::cli
