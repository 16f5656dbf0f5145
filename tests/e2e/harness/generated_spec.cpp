#include "e2e/harness/generated_spec.h"

#include <stdexcept>
#include <vector>

#include "e2e/harness/cdi_cli.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {

GeneratedSpec::GeneratedSpec(const SimulatedHost& host, const std::string& vendor, bool separate_hooks) {
  const std::string root = host.root().string();
  std::vector<std::string> args{"cdi", "generate", "--driver-root", root, "--dev-root", root, "--nvidia-cdi-hook-path",
                                test::built("nvidia-cdi-hook").string(),
                                // The host's ldconfig, explicitly: the hook copies it into the container root.
                                "--ldconfig-path", "/sbin/ldconfig", "--output", file.string()};
  if (!vendor.empty()) args.insert(args.end(), {"--vendor", vendor});
  if (separate_hooks) args.push_back("--separate-hooks");
  auto r = run_gpuhooks(args);
  if (r.exit_code != 0) throw std::runtime_error("gpuhooks cdi generate failed: " + r.err);
  spec = nlohmann::json::parse(test::read_file(file));
  kind = spec.at("kind").get<std::string>();
}

std::string GeneratedSpec::nvidia_smi() const {
  for (const auto& m : spec.at("containerEdits").at("mounts")) {
    const std::string path = m.at("containerPath");
    if (fs::path(path).filename() == "nvidia-smi") return path;
  }
  throw std::runtime_error("the generated spec mounts no nvidia-smi");
}

std::string GeneratedSpec::script() const {
  return "ldconfig -p | grep -F 'libnvidia-ml.so.1 '; " + nvidia_smi() + " -L";
}

std::string GeneratedSpec::expected_cache_line() const {
  for (const auto& m : spec.at("containerEdits").at("mounts")) {
    const fs::path path = m.at("containerPath").get<std::string>();
    if (path.filename().string().rfind("libnvidia-ml.so.", 0) == 0) {
      return "\tlibnvidia-ml.so.1 (libc6,x86-64) => " + (path.parent_path() / "libnvidia-ml.so.1").string() + "\n";
    }
  }
  throw std::runtime_error("the generated spec mounts no libnvidia-ml");
}

}  // namespace gpuhooks::e2e
