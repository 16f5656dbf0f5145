#pragma once
// The admin CLI's subcommands register themselves, one file each: `cdi list`, `cdi generate`, `runtime configure`...
// A file adds its subcommand to a group app with
//   static const bool registered = gpuhooks::cli::register_command("cdi", 20, &add_generate);
// and main() builds the groups, calls every registrar (in `order`), parses, and runs the chosen callback.
// Callbacks throw gpuhooks::Error for failures the user can act on; main prints it as one line and exits 1.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace gpuhooks::cli {

using Registrar = void (*)(CLI::App& group);

struct Registration {
  std::string group;  // "cdi", "runtime", ...
  int order;          // position in --help within the group
  Registrar add;
};

bool register_command(const std::string& group, int order, Registrar add);
std::vector<Registration> registered_commands();  // sorted by group, then order

// Exit status a subcommand callback asks for (e.g. `cdi validate` found errors): throw ExitCode{1} after printing.
struct ExitCode {
  int code;
};

}  // namespace gpuhooks::cli
