#pragma once
// What the `gpuhooks cdi` subcommands share: the spec-dir option, loading the registry, and reporting spec errors.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/cdi/registry/registry.h"

namespace gpuhooks::cli {

// --spec-dir DIR (repeatable, later wins); none given means the reference's defaults /etc/cdi, /var/run/cdi.
void add_spec_dir_option(CLI::App& cmd, std::vector<std::string>& dirs);

cdi::Registry load_registry(const std::vector<std::string>& dirs);

// Each per-file and per-dir error as a warning on stderr (the messages name their file). A device that "does not
// resolve" is most often a spec that failed to load (cdi.md §6 pitfall 1), so commands show these next to it.
void warn_spec_errors(const cdi::Registry& registry);

// --format text|json
void add_format_option(CLI::App& cmd, std::string& format);

}  // namespace gpuhooks::cli
