#include "command.h"

namespace gpuhooks::cli {

void add_commands(CLI::App& app) {
  CLI::App* cdi = app.add_subcommand("cdi", "Container Device Interface specs");
  cdi->require_subcommand(1);
  add_list(*cdi);
  add_validate(*cdi);
  add_inject(*cdi);
  add_generate(*cdi);
  add_resolve(*cdi);
  add_explain(app);
  CLI::App* runtime = app.add_subcommand("runtime", "Container engine configuration");
  runtime->require_subcommand(1);
  add_runtime_configure(*runtime);
}

}  // namespace gpuhooks::cli
