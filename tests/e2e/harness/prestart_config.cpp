#include "e2e/harness/prestart_config.h"

#include <gtest/gtest.h>

#include "e2e/harness/runc.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {

PrestartConfig::PrestartConfig(const SimulatedHost& host, const std::string& mode) {
  fs::create_directories(spec_dir);
  test::write_file(file, "[nvidia-container-cli]\nroot = \"" + host.root().string() + "\"\ndebug = \"" + log.string() +
                             "\"\nldconfig = \"@/sbin/ldconfig\"\n\n[nvidia-container-runtime]\nmode = \"" + mode +
                             "\"\n\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" + spec_dir.string() +
                             "\"]\n");
}

std::string PrestartConfig::log_text() const { return fs::exists(log) ? test::read_file(log) : ""; }

Hook prestart_hook(const PrestartConfig& config) {
  return Hook{test::built("nvidia-container-runtime-hook").string(),
              {"nvidia-container-runtime-hook", "prestart"},
              std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                       "NVIDIA_CTK_CONFIG_FILE_PATH=" + config.file.string()}};
}

test::RunResult run_refused_start(Bundle& b, const PrestartConfig& config, const std::string& visible) {
  b.env("NVIDIA_VISIBLE_DEVICES=" + visible);
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  return r;
}

}  // namespace gpuhooks::e2e
