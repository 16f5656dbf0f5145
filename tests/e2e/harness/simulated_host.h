#pragma once
// A simulated GPU host (scripts/simulate-gpu-host, docs/simulated-gpu-host.md) in a temporary directory, and the GPUs
// its own nvidia-smi reports when run on the host side: what a container given every GPU must see.
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace gpuhooks::e2e {

struct SimulatedGpu {
  std::string name;  // "NVIDIA H100 80GB HBM3"
  std::string uuid;  // "GPU-…"
};

class SimulatedHost {
 public:
  explicit SimulatedHost(int gpus);  // throws std::runtime_error when the script or its nvidia-smi fails
  SimulatedHost(const SimulatedHost&) = delete;
  SimulatedHost& operator=(const SimulatedHost&) = delete;

  const std::filesystem::path& root() const { return root_; }  // driver root and dev root
  const std::vector<SimulatedGpu>& gpus() const { return gpus_; }

 private:
  test::TempDir tmp_;
  std::filesystem::path root_;
  std::vector<SimulatedGpu> gpus_;
};

// One host per GPU count per test binary: tests only read it, and building one is the slow part.
const SimulatedHost& shared_simulated_host(int gpus);

// `nvidia-smi -L` for a container that sees exactly `gpus`: NVML numbers the visible GPUs from 0 in the order given.
std::string nvidia_smi_list(const std::vector<SimulatedGpu>& gpus);

}  // namespace gpuhooks::e2e
