#include "e2e/harness/simulated_host.h"

#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

// The host-side listing, the same tool the containers run: "GPU <i>: <name> (UUID: <uuid>)".
std::vector<SimulatedGpu> list_gpus(const fs::path& root) {
  const fs::path smi = root / "usr/local/nvidia/bin/nvidia-smi";
  auto r = test::run(
      {smi.string(), "-L"}, "",
      {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LD_LIBRARY_PATH=" + (root / "usr/local/nvidia/lib64").string()});
  if (r.exit_code != 0)
    throw std::runtime_error(smi.string() + " -L failed (" + std::to_string(r.exit_code) + "): " + r.out + r.err);
  static const std::regex line(R"(GPU [0-9]+: (.+) \(UUID: (GPU-[0-9a-f-]+)\))");
  std::vector<SimulatedGpu> gpus;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) gpus.push_back({m[1], m[2]});
  }
  return gpus;
}

}  // namespace

SimulatedHost::SimulatedHost(int gpus) : root_(tmp_ / "host") {
  const fs::path script = test::source_dir() / "scripts/simulate-gpu-host";
  auto r = test::run({script.string(), "--out", root_.string(), "--gpus", std::to_string(gpus)}, "",
                     {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  if (r.exit_code != 0)
    throw std::runtime_error("simulate-gpu-host --gpus " + std::to_string(gpus) + " failed: " + r.err);
  gpus_ = list_gpus(root_);
  if (gpus_.size() != static_cast<size_t>(gpus)) {
    throw std::runtime_error("simulated host with " + std::to_string(gpus) + " GPUs lists " +
                             std::to_string(gpus_.size()) + " on the host side");
  }
}

const SimulatedHost& shared_simulated_host(int gpus) {
  static std::map<int, std::unique_ptr<SimulatedHost>> hosts;
  auto& h = hosts[gpus];
  if (!h) h = std::make_unique<SimulatedHost>(gpus);
  return *h;
}

std::string nvidia_smi_list(const std::vector<SimulatedGpu>& gpus) {
  std::string out;
  for (size_t i = 0; i < gpus.size(); ++i) {
    out += "GPU " + std::to_string(i) + ": " + gpus[i].name + " (UUID: " + gpus[i].uuid + ")\n";
  }
  return out;
}

}  // namespace gpuhooks::e2e
