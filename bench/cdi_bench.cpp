// What a hook pays on every container start: load the CDI registry (100 spec files, 1,000 devices in total), resolve
// the requested names, inject them into a config.json. Target: under 10 ms. The specs are shaped like
// `nvidia-ctk cdi generate` output (spec-level mounts, hooks and control nodes; one node per device), written once
// into a temp dir as YAML (nvidia-ctk's default) or JSON. The YAML files are read by the block-YAML fast path; the
// "YamlCommented" variant starts each file with a comment line, which sends it through libyaml instead.
// Time is wall-clock; CPU is the whole process.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cdi/inject.h"
#include "common/cdi/registry.h"
#include "common/cdi/write.h"

using namespace gpuhooks::cdi;

namespace {

constexpr int kFiles = 100;
constexpr int kDevicesPerFile = 10;

Spec generated_spec(int file) {
  Spec s;
  s.cdi_version = "0.5.0";
  s.kind = "vendor" + std::to_string(file) + ".com/gpu";
  s.edits.env = {"NVIDIA_VISIBLE_DEVICES=void"};
  s.edits.device_nodes = {{"/dev/nvidiactl", "/dev/null"}, {"/dev/nvidia-uvm", "/dev/null"}};
  for (int m = 0; m < 15; ++m) {
    std::string lib = "/usr/lib/x86_64-linux-gnu/libnvidia-lib" + std::to_string(m) + ".so.550.54.15";
    s.edits.mounts.push_back({lib, lib, {"ro", "nosuid", "nodev", "rbind", "rprivate"}, ""});
  }
  s.edits.hooks.push_back({"createContainer", "/usr/bin/nvidia-cdi-hook",
                           {"nvidia-cdi-hook", "create-symlinks", "--link", "libcuda.so.1::/usr/lib/libcuda.so"}, {}, {}});
  s.edits.hooks.push_back({"createContainer", "/usr/bin/nvidia-cdi-hook",
                           {"nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"}, {}, {}});
  for (int d = 0; d < kDevicesPerFile; ++d) {
    Device dev;
    dev.name = std::to_string(d);
    dev.edits.device_nodes.push_back({"/dev/nvidia" + std::to_string(d), "/dev/null"});
    s.devices.push_back(std::move(dev));
  }
  return s;
}

enum class Layout { kYaml, kYamlCommented, kJson };

// The spec dir of each layout, created on first use and removed at exit.
const std::string& spec_dir(Layout layout) {
  static std::string dirs[3];
  std::string& dir = dirs[static_cast<int>(layout)];
  if (dir.empty()) {
    char tmpl[] = "/tmp/gpuhooks-cdi-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    Format format = layout == Layout::kJson ? Format::kJson : Format::kYaml;
    for (int f = 0; f < kFiles; ++f) {
      std::ofstream(dir + "/spec" + std::to_string(f) + (format == Format::kJson ? ".json" : ".yaml"))
          << (layout == Layout::kYamlCommented ? "# generated\n" : "") << serialize(generated_spec(f), format);
    }
    static bool cleanup_registered = false;
    if (!cleanup_registered) {
      cleanup_registered = true;
      std::atexit([] {
        for (const auto& d : dirs)
          if (!d.empty()) std::filesystem::remove_all(d);
      });
    }
  }
  return dir;
}

nlohmann::json base_config() {
  return nlohmann::json::parse(R"({"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0},"args":["sh"],
    "env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"cwd":"/"},
    "root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"},
    {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
    {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}],
    "linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})");
}

void load_resolve_inject(benchmark::State& state, Layout layout) {
  const std::string& dir = spec_dir(layout);
  const std::vector<std::string> request = {"vendor42.com/gpu=0", "vendor42.com/gpu=1", "vendor42.com/gpu=2",
                                            "vendor42.com/gpu=3", "vendor7.com/gpu=9"};
  const nlohmann::json config = base_config();
  for (auto _ : state) {
    Registry registry({dir});
    if (registry.device_names().size() != kFiles * kDevicesPerFile) state.SkipWithError("registry incomplete");
    nlohmann::json oci = config;
    inject_devices(oci, registry, request);
    benchmark::DoNotOptimize(oci);
  }
}

void load_only(benchmark::State& state, Layout layout) {
  const std::string& dir = spec_dir(layout);
  for (auto _ : state) {
    Registry registry({dir});
    benchmark::DoNotOptimize(registry);
  }
}

void BM_LoadResolveInject_Yaml(benchmark::State& s) { load_resolve_inject(s, Layout::kYaml); }
void BM_LoadResolveInject_YamlCommented(benchmark::State& s) { load_resolve_inject(s, Layout::kYamlCommented); }
void BM_LoadResolveInject_Json(benchmark::State& s) { load_resolve_inject(s, Layout::kJson); }
void BM_Load_Yaml(benchmark::State& s) { load_only(s, Layout::kYaml); }
void BM_Load_YamlCommented(benchmark::State& s) { load_only(s, Layout::kYamlCommented); }
void BM_Load_Json(benchmark::State& s) { load_only(s, Layout::kJson); }

}  // namespace

BENCHMARK(BM_LoadResolveInject_Yaml)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_LoadResolveInject_YamlCommented)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_LoadResolveInject_Json)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Load_Yaml)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Load_YamlCommented)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Load_Json)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
