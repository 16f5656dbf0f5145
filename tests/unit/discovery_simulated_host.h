#pragma once
// Simulated GPU hosts for the discovery tests: scripts/simulate-gpu-host run once per flag set into a TempDir that
// lives for the whole test binary (tests only read them; a test that changes one makes its own).
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/test_support.h"

namespace gpuhooks::test {

// Where simulate-gpu-host puts the driver libraries (docs/simulated-gpu-host.md).
inline const std::string kLib64 = "/usr/local/nvidia/lib64";

// Builds a simulated host at `root` (which must not exist or be empty); throws with the script's stderr.
inline void build_simulated_host(const std::filesystem::path& root, const std::string& flags = "") {
  RunResult r = run({"/bin/sh", "-c",
                     (source_dir() / "scripts/simulate-gpu-host").string() + " --out " + root.string() + " " + flags});
  if (r.exit_code != 0) throw std::runtime_error("simulate-gpu-host " + flags + " failed: " + r.err);
}

inline const std::filesystem::path& simulated_host(const std::string& flags = "") {
  struct Host {
    TempDir dir;
    std::filesystem::path root;
  };
  static std::map<std::string, std::unique_ptr<Host>> hosts;
  auto& host = hosts[flags];
  if (!host) {
    host = std::make_unique<Host>();
    host->root = host->dir.path() / "host";
    build_simulated_host(host->root, flags);
  }
  return host->root;
}

}  // namespace gpuhooks::test
