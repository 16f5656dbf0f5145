#include "cdi_cli_common.h"

#include <spdlog/spdlog.h>

namespace gpuhooks::cli {

void add_spec_dir_option(CLI::App& cmd, std::vector<std::string>& dirs) {
  cmd.add_option("--spec-dir", dirs, "CDI spec directory, repeatable; later ones win (default: /etc/cdi /var/run/cdi)");
}

cdi::Registry load_registry(const std::vector<std::string>& dirs) {
  return dirs.empty() ? cdi::Registry() : cdi::Registry(dirs);
}

void warn_spec_errors(const cdi::Registry& registry) {
  for (const auto& e : registry.errors()) spdlog::warn("{}", e.message);
}

void add_format_option(CLI::App& cmd, std::string& format) {
  cmd.add_option("--format", format, "Output format")->check(CLI::IsMember({"text", "json"}))->default_val("text");
}

}  // namespace gpuhooks::cli
