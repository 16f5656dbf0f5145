#pragma once
// The prestart hook's configuration for an end-to-end test: a config.toml naming a simulated GPU host as the driver
// root (nvidia-container-cli.root), a private CDI spec dir, and a log file (runc shows a hook's stderr only when the
// hook fails); and the hook as Docker adds it (args ["nvidia-container-runtime-hook", "prestart"]), finding the file
// through its own environment.
#include <filesystem>
#include <string>

#include "e2e/harness/bundle.h"
#include "e2e/harness/simulated_host.h"
#include "support/test_support.h"

namespace gpuhooks::e2e {

struct PrestartConfig {
  PrestartConfig(const SimulatedHost& host, const std::string& mode);  // mode: auto, cdi or legacy
  std::string log_text() const;  // what the hook logged, "" when it logged nothing

  test::TempDir dir;
  std::filesystem::path file = dir / "config.toml";
  std::filesystem::path spec_dir = dir / "cdi";
  std::filesystem::path log = dir / "hook.log";
};

Hook prestart_hook(const PrestartConfig& config);

// Runs `b` asking for `visible` GPUs with the prestart hook, a start that must fail: the container must not have
// run (runc's exit is not 0, the container printed nothing). Returns runc's result for the error checks.
test::RunResult run_refused_start(Bundle& b, const PrestartConfig& config, const std::string& visible);

}  // namespace gpuhooks::e2e
