// What a hook pays on every container start: load the CDI registry (100 spec files, 1,000 devices in total), resolve
// the requested names, inject them into a config.json. Target: under 10 ms. The specs are shaped like
// `nvidia-ctk cdi generate` output (spec-level mounts, hooks and control nodes; one node per device), written once
// into a temp dir as YAML (nvidia-ctk's default) or JSON.
// The "Node" cases are the realistic load: the three spec files of a GPU node as the prestart hook loads them on every
// container start (the spec `gpuhooks cdi generate` writes for the simulated 8-GPU host in YAML, the same in JSON under
// another class, one small vendor spec); they need root and gcc to build the simulated host once.
// Time is wall-clock; CPU is the whole process.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cdi/edits/inject.h"
#include "common/cdi/registry/registry.h"
#include "common/cdi/spec/document.h"
#include "common/cdi/spec/write.h"

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
  s.edits.hooks.push_back({"createContainer",
                           "/usr/bin/nvidia-cdi-hook",
                           {"nvidia-cdi-hook", "create-symlinks", "--link", "libcuda.so.1::/usr/lib/libcuda.so"},
                           {},
                           {}});
  s.edits.hooks.push_back({"createContainer",
                           "/usr/bin/nvidia-cdi-hook",
                           {"nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"},
                           {},
                           {}});
  for (int d = 0; d < kDevicesPerFile; ++d) {
    Device dev;
    dev.name = std::to_string(d);
    dev.edits.device_nodes.push_back({"/dev/nvidia" + std::to_string(d), "/dev/null"});
    s.devices.push_back(std::move(dev));
  }
  return s;
}

enum class Layout { kYaml, kJson };

// The spec dir of each layout, created on first use and removed at exit.
const std::string& spec_dir(Layout layout) {
  static std::string dirs[2];
  std::string& dir = dirs[static_cast<int>(layout)];
  if (dir.empty()) {
    char tmpl[] = "/tmp/gpuhooks-cdi-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    Format format = layout == Layout::kJson ? Format::kJson : Format::kYaml;
    for (int f = 0; f < kFiles; ++f) {
      std::ofstream(dir + "/spec" + std::to_string(f) + (format == Format::kJson ? ".json" : ".yaml"))
          << serialize(generated_spec(f), format);
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

// The node's spec dir, created on first use and removed at exit.
const std::string& node_dir() {
  static std::string dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/gpuhooks-cdi-node-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string src = GPUHOOKS_SOURCE_DIR, bin = GPUHOOKS_BINARY_DIR;
    std::string cmd =
        src + "/scripts/simulate-gpu-host --gpus 8 --out " + dir + "/host >/dev/null 2>&1 && " + bin +
        "/gpuhooks --quiet cdi generate --driver-root " + dir + "/host --output " + dir + "/specs/nvidia.yaml && " +
        bin + "/gpuhooks --quiet cdi generate --class gpu-json --driver-root " + dir + "/host --output " + dir +
        "/specs/nvidia.json && cp " + src + "/tests/fixtures/cdi/spec-1.1.0-full.json " + dir + "/specs/vendor.json";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "cdi_bench: building the node's specs failed: %s\n", cmd.c_str());
      std::exit(1);
    }
    std::atexit([] { std::filesystem::remove_all(dir); });
  }
  return dir;
}

std::vector<std::string> node_spec_texts() {
  std::vector<std::string> texts;
  for (const char* name : {"nvidia.yaml", "nvidia.json", "vendor.json"}) {
    std::ifstream in(node_dir() + "/specs/" + name);
    texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return texts;
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

// The whole registry load of the node's spec dir (read, parse, decode, validate, index).
void BM_Node_RegistryLoad(benchmark::State& state) {
  const std::string dir = node_dir() + "/specs";
  for (auto _ : state) {
    Registry registry({dir});
    if (!registry.errors().empty()) state.SkipWithError("node specs did not load");
    benchmark::DoNotOptimize(registry);
  }
}

// Text to tree only, for the node's three files: what a reader of spec text costs per container start.
void BM_Node_ParseDocuments(benchmark::State& state) {
  const auto texts = node_spec_texts();
  for (auto _ : state) {
    for (const auto& t : texts) benchmark::DoNotOptimize(load_document(t));
  }
}

void BM_LoadResolveInject_Yaml(benchmark::State& s) { load_resolve_inject(s, Layout::kYaml); }
void BM_LoadResolveInject_Json(benchmark::State& s) { load_resolve_inject(s, Layout::kJson); }
void BM_Load_Yaml(benchmark::State& s) { load_only(s, Layout::kYaml); }
void BM_Load_Json(benchmark::State& s) { load_only(s, Layout::kJson); }

}  // namespace

BENCHMARK(BM_Node_RegistryLoad)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Node_ParseDocuments)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_LoadResolveInject_Yaml)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_LoadResolveInject_Json)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Load_Yaml)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Load_Json)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
