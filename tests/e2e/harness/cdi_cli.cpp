#include "e2e/harness/cdi_cli.h"

#include <unistd.h>

#include <atomic>

namespace fs = std::filesystem;

namespace gpuhooks::e2e {

test::RunResult run_gpuhooks(const std::vector<std::string>& args) {
  std::vector<std::string> argv{test::executable("gpuhooks").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv, "", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
}

test::RunResult inject_cdi_devices(Bundle& bundle, const fs::path& spec_dir, const std::vector<std::string>& devices) {
  bundle.write_config();
  std::vector<std::string> args{"cdi", "inject", "--spec-dir", spec_dir.string(), "--bundle", bundle.dir().string()};
  for (const auto& d : devices) args.insert(args.end(), {"--device", d});
  auto r = run_gpuhooks(args);
  if (r.exit_code == 0) bundle.config() = nlohmann::json::parse(test::read_file(bundle.config_path()));
  return r;
}

std::string unique_cdi_vendor() {
  static std::atomic<int> counter{0};
  return "gpuhooks-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".example";
}

}  // namespace gpuhooks::e2e
