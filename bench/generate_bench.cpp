// `gpuhooks cdi generate` on the simulated H100 host (scripts/simulate-gpu-host): discovery with and without NVML,
// NVML alone, and the whole generate (discovery + spec + YAML). Target: under 20 ms median for the whole generate;
// NVML's share is BM_QueryNvml against BM_GenerateSpec. Run: build/bench/generate_bench (needs root and gcc, to
// build the simulated host once).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "common/cdi/spec/write.h"
#include "common/discovery/host.h"
#include "common/discovery/nvml.h"
#include "common/generate/spec_builder.h"

namespace {

namespace fs = std::filesystem;

class SimulatedHost {
 public:
  SimulatedHost() {
    std::string tmpl = (fs::temp_directory_path() / "gpuhooks-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    root_ = dir_ / "host";
    std::string cmd =
        std::string(GPUHOOKS_SOURCE_DIR) + "/scripts/simulate-gpu-host --out " + root_.string() + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("simulate-gpu-host failed: " + cmd);
  }
  ~SimulatedHost() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path dir_, root_;
};

const SimulatedHost& host() {
  static SimulatedHost h;
  return h;
}

gpuhooks::discovery::DiscoveryOptions options(bool nvml) {
  gpuhooks::discovery::DiscoveryOptions o;
  o.driver_root = host().root();
  o.use_nvml = nvml;
  o.files = gpuhooks::discovery::files_options_from_environment();
  return o;
}

void BM_GenerateSpec(benchmark::State& state) {
  auto opts = options(true);
  for (auto _ : state) {
    auto discovered = gpuhooks::discovery::discover_host(opts);
    auto spec = gpuhooks::generate::build_spec(discovered, gpuhooks::generate::GenerateOptions{});
    benchmark::DoNotOptimize(gpuhooks::cdi::serialize(spec, gpuhooks::cdi::Format::kYaml));
  }
}

void BM_DiscoverHost(benchmark::State& state) {
  auto opts = options(true);
  for (auto _ : state) benchmark::DoNotOptimize(gpuhooks::discovery::discover_host(opts));
}

void BM_DiscoverHostWithoutNvml(benchmark::State& state) {
  auto opts = options(false);
  for (auto _ : state) benchmark::DoNotOptimize(gpuhooks::discovery::discover_host(opts));
}

void BM_QueryNvml(benchmark::State& state) {
  auto lib = host().root() / "usr/local/nvidia/lib64/libnvidia-ml.so.1";
  for (auto _ : state) benchmark::DoNotOptimize(gpuhooks::discovery::query_nvml(lib));
}

void BM_BuildAndSerializeSpec(benchmark::State& state) {
  auto discovered = gpuhooks::discovery::discover_host(options(true));
  for (auto _ : state) {
    auto spec = gpuhooks::generate::build_spec(discovered, gpuhooks::generate::GenerateOptions{});
    benchmark::DoNotOptimize(gpuhooks::cdi::serialize(spec, gpuhooks::cdi::Format::kYaml));
  }
}

#define GPUHOOKS_BENCH(fn) BENCHMARK(fn)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true)
GPUHOOKS_BENCH(BM_GenerateSpec);
GPUHOOKS_BENCH(BM_DiscoverHost);
GPUHOOKS_BENCH(BM_DiscoverHostWithoutNvml);
GPUHOOKS_BENCH(BM_QueryNvml);
GPUHOOKS_BENCH(BM_BuildAndSerializeSpec);

}  // namespace
