// nvidia-container-runtime-hook: the prestart hook that Docker's --gpus (before 29.2, and 29.2 when no CDI spec
// resolves), OCI hooks.d files and legacy runtimes name (nvidia-hooks.md §2.1). Command line as the reference's Go
// `flag` parsing: flags before the command, one or two dashes, `-f=v` or `-f v`: -config FILE, -debug, -version.
// Commands: prestart (prestart.cpp); poststart and poststop exit 0 without reading stdin; anything else, or none,
// prints the usage and exits 2. Errors are one line on stderr and exit 1.
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log/log.h"
#include "prestart.h"

namespace {

constexpr const char* kUsage =
    "Usage of nvidia-container-runtime-hook:\n"
    "  nvidia-container-runtime-hook [-debug] [-config FILE] [-version] prestart|poststart|poststop\n"
    "  -config string\n        the config.toml to read (default: $NVIDIA_CTK_CONFIG_FILE_PATH, else\n"
    "        $XDG_CONFIG_HOME/nvidia-container-runtime/config.toml or /etc/nvidia-container-runtime/config.toml)\n"
    "  -debug\n        enable debug output\n"
    "  -version\n        show the version and exit\n";

struct Flags {
  std::string config;
  bool debug = false;
  bool version = false;
  std::string command;
};

// Go's flag package: parsing stops at the first non-flag argument (or "--"); an unknown flag is an error.
bool parse_flags(const std::vector<std::string>& args, Flags& f, std::string& error) {
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    a.erase(0, a[1] == '-' ? 2 : 1);
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (name == "debug" || name == "version") {
      bool on = !has_value || value == "true" || value == "1" || value == "t" || value == "T" || value == "TRUE" ||
                value == "True";
      (name == "debug" ? f.debug : f.version) = on;
    } else if (name == "config") {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          error = "flag needs an argument: -config";
          return false;
        }
        value = args[++i];
      }
      f.config = value;
    } else if (name == "h" || name == "help") {
      error = "";
      return false;
    } else {
      error = "flag provided but not defined: -" + name;
      return false;
    }
  }
  if (i < args.size()) f.command = args[i];
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gpuhooks;
  Flags flags;
  std::string error;
  if (!parse_flags(std::vector<std::string>(argv + 1, argv + argc), flags, error)) {
    if (!error.empty()) std::cerr << error << "\n";
    std::cerr << kUsage;
    return 2;
  }
  if (flags.version) {
    std::cout << "NVIDIA Container Runtime Hook version " << GPUHOOKS_VERSION << " (gpuhooks)\n";
    return 0;
  }
  if (flags.command == "poststart" || flags.command == "poststop") return 0;
  if (flags.command != "prestart") {
    std::cerr << kUsage;
    return 2;
  }
  log::Options log_opts;
  log_opts.name = "nvidia-container-runtime-hook";
  log_opts.debug = flags.debug;
  log_opts.buffer_stderr = true;
  log::setup(log_opts);
  try {
    prestart::run(flags.config, log_opts);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
