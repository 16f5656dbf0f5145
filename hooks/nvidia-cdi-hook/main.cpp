// nvidia-cdi-hook: the createContainer hooks named by CDI specs. Command line compatible with NVIDIA's
// (nvidia-hooks.md §1.1): root flags are accepted before or after the subcommand; an unknown subcommand, or unknown
// flags in front of one, is a warning and exit 0 (specs written for a newer toolkit must not break containers);
// errors in a known subcommand are one line on stderr and exit 1.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/cdihooks/hook_command.h"
#include "common/error.h"
#include "common/log/log.h"
#include "common/rootfs/hook_deadline.h"

using namespace gpuhooks;
using namespace gpuhooks::cdihook;

namespace {

void print_usage(const std::vector<std::unique_ptr<Hook>>& hooks, const std::string& prog) {
  std::cout << "NVIDIA CDI Hook (gpuhooks " << GPUHOOKS_VERSION << ")\n\nUsage: " << prog
            << " [--debug] [--quiet] [--log-file FILE] <hook> [flags] [-- <hook> [flags]]...\n\n"
            << "Several hooks given with -- between them run in one process, in that order, the state read once.\n\n"
            << "Hooks:\n";
  for (const auto& h : hooks)
    if (!h->hidden()) std::cout << "  " << h->name() << "\t" << h->description() << "\n";
  std::cout << "\nEnvironment:\n  " << rootfs::kHookTimeoutVariable
            << "=SECONDS  the deadline of the whole run (whole seconds, 1 to " << rootfs::kMaxHookTimeout.count()
            << "; default " << rootfs::kDefaultHookTimeout.count()
            << "): past it the hook kills its children, removes its temporary files and exits 1,\n"
               "  so that nothing an image plants can hold the container start.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string prog = std::filesystem::path(argv[0]).filename().string();
  // Runtime just-in-time specs call the hooks as `nvidia-ctk hook <name> ...`.
  if (prog == "nvidia-ctk") {
    if (args.empty() || args[0] != "hook") {
      std::cerr << "nvidia-ctk (gpuhooks): only the 'hook' command is provided; use gpuhooks for the rest\n";
      return 1;
    }
    args.erase(args.begin());
    prog = "nvidia-ctk hook";
  }

  log::Options log_opts;
  log_opts.name = "nvidia-cdi-hook";
  log_opts.buffer_stderr = true;  // one short run per container start; see log::Options
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--debug" || a == "-d") log_opts.debug = true;
    if (a == "--quiet") log_opts.quiet = true;
    if (a.rfind("--log-file=", 0) == 0) log_opts.file = a.substr(11);
    if (a == "--log-file" && i + 1 < args.size()) log_opts.file = args[i + 1];
  }
  log::apply_environment(log_opts);
  log::setup(log_opts);

  auto hooks = all_hooks();
  // The first argument that is not a flag (nor the value of --log-file) names the hook; flags before it are root flags.
  auto name_it = args.begin();
  for (; name_it != args.end(); ++name_it) {
    if (*name_it == "--log-file" && name_it + 1 != args.end()) {
      ++name_it;
      continue;
    }
    if (name_it->empty() || (*name_it)[0] != '-') break;
  }
  if (name_it == args.end()) {
    if (std::find(args.begin(), args.end(), "--version") != args.end() ||
        std::find(args.begin(), args.end(), "-v") != args.end()) {
      std::cout << "NVIDIA CDI Hook version " << GPUHOOKS_VERSION << " (gpuhooks)\n";
      return 0;
    }
    if (std::find(args.begin(), args.end(), "--help") != args.end() ||
        std::find(args.begin(), args.end(), "-h") != args.end()) {
      print_usage(hooks, prog);
      return 0;
    }
    spdlog::warn("No CDI hook specified");
    return 0;
  }
  if (*name_it == "help") {
    print_usage(hooks, prog);
    return 0;
  }

  try {
    rootfs::arm_hook_deadline(rootfs::hook_timeout(std::getenv(rootfs::kHookTimeoutVariable)), "nvidia-cdi-hook");
    HookCommand command(std::vector<std::string>(args.begin(), name_it), std::vector<std::string>(name_it, args.end()),
                        prog);
    if (command.help() || command.empty()) return 0;
    Container container(command.container_spec());
    command.run(container);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
