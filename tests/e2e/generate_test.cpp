// `gpuhooks cdi generate` against the simulated GPU host, end to end (issue 4): the spec it writes is valid, loads in
// podman 4.3 (cdiVersion <= 0.5.0), and a container given one of its devices - by podman from /etc/cdi, or by
// `gpuhooks cdi inject` + plain runc - sees exactly the GPUs asked for: the simulated host's nvidia-smi inside lists
// them, which works only when the driver libraries resolve through the container's ld.so.cache.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/harness/bundle.h"
#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/generated_spec.h"
#include "e2e/harness/podman.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace gpuhooks::e2e {
namespace {

std::vector<int> version_numbers(const std::string& v) {
  std::vector<int> out;
  std::istringstream in(v);
  for (std::string part; std::getline(in, part, '.');) out.push_back(std::stoi(part));
  return out;
}

test::RunResult run_injected(const GeneratedSpec& g, const std::vector<std::string>& devices) {
  Bundle b;
  b.shell(g.script());
  auto inject = inject_cdi_devices(b, g.dir.path(), devices);
  if (inject.exit_code != 0) return inject;
  return run_runc(b);
}

test::RunResult run_podman(const GeneratedSpec& g, const std::vector<std::string>& devices) {
  InstalledCdiSpec installed(test::read_file(g.file));
  std::vector<std::string> options;
  for (const auto& d : devices) options.insert(options.end(), {"--device", d});
  return shared_podman().run(options, {"/bin/sh", "-c", g.script()});
}

// ---- the spec ---------------------------------------------------------------------------------------------------

TEST(GenerateSpec, TheSpecsForOneAndTwoGpusAreValid) {
  for (int gpus : {1, 2}) {
    GeneratedSpec g(shared_simulated_host(gpus));
    auto r = run_gpuhooks({"cdi", "validate", g.file.string()});
    EXPECT_EQ(r.exit_code, 0) << gpus << " GPUs: " << r.out << r.err;
    EXPECT_EQ(r.out.rfind(g.file.string() + ": valid (cdiVersion ", 0), 0u) << gpus << " GPUs: " << r.out;
  }
}

TEST(GenerateSpec, TheSpecsCdiVersionIsAtMostWhatPodman43Reads) {
  GeneratedSpec g(shared_simulated_host(2));
  EXPECT_LE(version_numbers(g.spec.at("cdiVersion")), version_numbers("0.5.0")) << g.spec.at("cdiVersion");
}

TEST(GenerateSpec, TheSpecNamesEachGpuByIndexAndByUuidPlusAll) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host);
  std::vector<std::string> names;
  for (const auto& d : g.spec.at("devices")) names.push_back(d.at("name"));
  EXPECT_EQ(g.kind, "nvidia.com/gpu");
  EXPECT_EQ(names, (std::vector<std::string>{"0", "1", host.gpus()[0].uuid, host.gpus()[1].uuid, "all"}));
}

// ---- gpuhooks cdi inject + runc -----------------------------------------------------------------------------------

TEST(GenerateInjectRunc, DeviceZeroShowsOnlyTheFirstGpu) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host);
  auto r = run_injected(g, {"nvidia.com/gpu=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list({host.gpus()[0]}));
}

TEST(GenerateInjectRunc, DeviceOneShowsOnlyTheSecondGpu) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host);
  auto r = run_injected(g, {"nvidia.com/gpu=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list({host.gpus()[1]}));
}

// One hook process for all our hooks (the default) or one per subcommand (--separate-hooks): the same container.
TEST(GenerateInjectRunc, BothHookFormsGiveTheSameView) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec one(host), separate(host, "", true);
  ASSERT_EQ(one.spec["containerEdits"]["hooks"].size(), 1u);
  ASSERT_EQ(separate.spec["containerEdits"]["hooks"].size(), 5u);
  const std::string view = "; ls -l /usr/local/nvidia/lib64 | grep -c -- '->'; ls /etc/ld.so.conf.d | wc -l";
  auto run_view = [&](const GeneratedSpec& g) {
    Bundle b;
    b.shell(g.script() + view);
    auto inject = inject_cdi_devices(b, g.dir.path(), {"nvidia.com/gpu=all"});
    return inject.exit_code != 0 ? inject : run_runc(b);
  };
  auto r1 = run_view(one), r2 = run_view(separate);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(r1.out, r2.out);
  EXPECT_EQ(r1.out.rfind(one.expected_cache_line() + nvidia_smi_list(host.gpus()), 0), 0u) << r1.out;
}

TEST(GenerateInjectRunc, DeviceAllShowsBothGpus) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host);
  auto r = run_injected(g, {"nvidia.com/gpu=all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list(host.gpus()));
}

TEST(GenerateInjectRunc, AGpuNamedByUuidShowsThatGpu) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host);
  auto r = run_injected(g, {"nvidia.com/gpu=" + host.gpus()[1].uuid});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list({host.gpus()[1]}));
}

TEST(GenerateInjectRunc, OnAOneGpuHostDeviceZeroAndAllShowTheOneGpu) {
  const auto& host = shared_simulated_host(1);
  GeneratedSpec g(host);
  for (const std::string device : {"nvidia.com/gpu=0", "nvidia.com/gpu=all"}) {
    auto r = run_injected(g, {device});
    ASSERT_EQ(r.exit_code, 0) << device << ": " << r.err;
    EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list(host.gpus())) << device;
  }
}

TEST(GenerateInjectRunc, AGpuTheHostDoesNotHaveIsUnresolvable) {
  GeneratedSpec g(shared_simulated_host(1));
  auto r = run_injected(g, {"nvidia.com/gpu=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unresolvable CDI devices nvidia.com/gpu=1"), std::string::npos) << r.err;
}

// ---- podman 4.3 from /etc/cdi ---------------------------------------------------------------------------------------
// A test-unique vendor: podman reads every spec in /etc/cdi, and a second nvidia.com/gpu spec there (a real one, or
// another run's) would make the devices conflict.

TEST(GeneratePodman, DeviceZeroShowsOnlyTheFirstGpu) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host, unique_cdi_vendor());
  auto r = run_podman(g, {g.kind + "=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list({host.gpus()[0]}));
}

TEST(GeneratePodman, DeviceAllShowsBothGpus) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host, unique_cdi_vendor());
  auto r = run_podman(g, {g.kind + "=all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list(host.gpus()));
}

TEST(GeneratePodman, AGpuNamedByUuidShowsThatGpu) {
  const auto& host = shared_simulated_host(2);
  GeneratedSpec g(host, unique_cdi_vendor());
  auto r = run_podman(g, {g.kind + "=" + host.gpus()[1].uuid});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list({host.gpus()[1]}));
}

TEST(GeneratePodman, OnAOneGpuHostDeviceZeroShowsTheOneGpu) {
  const auto& host = shared_simulated_host(1);
  GeneratedSpec g(host, unique_cdi_vendor());
  auto r = run_podman(g, {g.kind + "=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g.expected_cache_line() + nvidia_smi_list(host.gpus()));
}

}  // namespace
}  // namespace gpuhooks::e2e
