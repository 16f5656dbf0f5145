#pragma once
// A CDI spec that `gpuhooks cdi generate` wrote for a simulated GPU host, in a private spec dir, read back as JSON so
// a test can name what it mounts; and what a container given one of its devices shows: the ld.so.cache entry of
// libnvidia-ml (made by the spec's update-ldcache hook) and the GPUs the host's nvidia-smi finds through it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/harness/simulated_host.h"
#include "support/test_support.h"

namespace gpuhooks::e2e {

struct GeneratedSpec {
  // `vendor` empty: the default kind nvidia.com/gpu. Throws std::runtime_error when generate fails.
  explicit GeneratedSpec(const SimulatedHost& host, const std::string& vendor = "", bool separate_hooks = false);

  std::string nvidia_smi() const;  // the container path of the host's nvidia-smi, as the spec mounts it
  // What the container runs: the cache entry of libnvidia-ml's soname, then the GPUs nvidia-smi finds through it.
  std::string script() const;
  // The line of `ldconfig -p` for libnvidia-ml.so.1 that the update-ldcache hook must leave in the container.
  std::string expected_cache_line() const;

  test::TempDir dir;
  std::filesystem::path file = dir / "nvidia.json";
  std::string kind;
  nlohmann::json spec;
};

}  // namespace gpuhooks::e2e
