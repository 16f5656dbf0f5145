// gpuhooks: the admin CLI. Subcommands live one per file, listed in commands.cpp.
#include <spdlog/spdlog.h>

#include <iostream>

#include "command.h"
#include "common/error.h"
#include "common/log/log.h"

int main(int argc, char** argv) {
  using namespace gpuhooks;
  CLI::App app{"gpuhooks: CDI specs, GPU discovery and runtime configuration for GPU containers", "gpuhooks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gpuhooks ") + GPUHOOKS_VERSION);
  log::Options log_opts;
  app.add_flag("-d,--debug", log_opts.debug, "Enable debug-level logging");
  app.add_flag("--quiet", log_opts.quiet, "Suppress all output except errors");
  cli::add_commands(app);
  app.parse_complete_callback([&] {
    log::apply_environment(log_opts);
    log::setup(log_opts);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cli::ExitCode& e) {
    return e.code;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
