#pragma once
// The admin CLI's subcommands, one file each (`cdi list`, `cdi generate`, ...). Each file defines an `add_<name>`
// that declares the subcommand, its flags and its callback on a group app; commands.cpp lists them all, in --help
// order. Callbacks throw gpuhooks::Error for failures the user can act on; main prints it as one line and exits 1.
#include <CLI/CLI.hpp>

namespace gpuhooks::cli {

// Every group and subcommand of the CLI, added to the root app.
void add_commands(CLI::App& app);

void add_list(CLI::App& cdi);
void add_validate(CLI::App& cdi);
void add_inject(CLI::App& cdi);
void add_generate(CLI::App& cdi);
void add_resolve(CLI::App& cdi);
void add_explain(CLI::App& app);
void add_runtime_configure(CLI::App& runtime);

// Exit status a subcommand callback asks for (e.g. `cdi validate` found errors): throw ExitCode{1} after printing.
struct ExitCode {
  int code;
};

}  // namespace gpuhooks::cli
