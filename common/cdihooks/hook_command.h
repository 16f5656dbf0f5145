#pragma once
// One nvidia-cdi-hook command line: `<hook> [flags] [-- <hook> [flags]]...`, several hooks run in one process in
// the order given, the state read once. Every hook's flags are parsed (and validated) before the first one runs,
// so a bad flag anywhere changes nothing; an unknown hook is a warning and is skipped (nvidia-hooks.md §1.1:
// specs written for a newer toolkit must not break containers). nvidia-cdi-hook's main and the prestart hook (for
// the hooks of a CDI spec it serves) both run hooks through this.
#include <memory>
#include <string>
#include <vector>

#include "common/cdihooks/hook.h"

namespace gpuhooks::cdihook {

class HookCommand {
 public:
  // `root_flags` (--debug, --log-file ...) are given to every hook. Throws Error("<hook>: <what>") for a flag a
  // hook rejects. --help prints the hook's help and sets help().
  HookCommand(const std::vector<std::string>& root_flags, const std::vector<std::string>& hooks_and_flags,
              const std::string& prog);

  bool help() const { return help_; }
  bool empty() const { return runs_.empty(); }
  const std::string& container_spec() const { return container_spec_; }  // the last --container-spec given

  // Runs every hook on `container`; throws Error("<hook>: <what>") for the first that fails.
  void run(Container& container);

 private:
  struct Run {
    Hook* hook;
  };
  std::vector<std::unique_ptr<Hook>> hooks_ = all_hooks();
  std::vector<Run> runs_;
  std::string container_spec_;
  bool help_ = false;
};

}  // namespace gpuhooks::cdihook
