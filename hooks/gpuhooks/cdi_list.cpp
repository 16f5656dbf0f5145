// `gpuhooks cdi list`: the qualified names of every device the registry can resolve, sorted; spec errors go to
// stderr as warnings and do not change the exit status (a bad file of one vendor must not hide another's devices).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cdi_cli_common.h"
#include "command.h"

namespace gpuhooks::cli {
namespace {

struct ListOptions {
  std::vector<std::string> spec_dirs;
  std::string format = "text";
};

void run_list(const ListOptions& opts) {
  cdi::Registry registry = load_registry(opts.spec_dirs);
  warn_spec_errors(registry);
  auto names = registry.device_names();
  if (opts.format == "json") {
    nlohmann::json out = {{"devices", names}, {"specDirs", registry.spec_dirs()}, {"errors", nlohmann::json::array()}};
    for (const auto& e : registry.errors()) out["errors"].push_back({{"path", e.path}, {"message", e.message}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& n : names) std::cout << n << "\n";
}

}  // namespace

void add_list(CLI::App& group) {
  auto opts = std::make_shared<ListOptions>();
  auto* cmd = group.add_subcommand("list", "List the CDI devices the spec dirs define (sorted qualified names)");
  add_spec_dir_option(*cmd, opts->spec_dirs);
  add_format_option(*cmd, opts->format);
  cmd->callback([opts] { run_list(*opts); });
}

}  // namespace gpuhooks::cli
