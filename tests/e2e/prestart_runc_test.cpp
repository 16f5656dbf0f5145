// nvidia-container-runtime-hook prestart under the real runc, on the simulated GPU host: a bundle shaped like
// Docker's --gpus (runtimes.md §3b: the hook as the first prestart hook, NVIDIA_VISIBLE_DEVICES in process.env, no
// linux.devices, the default deny-all device cgroup), with config.toml naming the simulated host as the driver
// root. Inside, the container must see exactly the GPUs it asked for: their nodes open past the cgroup (ENXIO: no
// driver, never EPERM), the driver libraries are in its ld.so.cache, and the host's nvidia-smi lists the GPUs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "e2e/harness/bundle.h"
#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/prestart_config.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr const char* kNvidiaSmi = "/usr/local/nvidia/bin/nvidia-smi";
constexpr const char* kCacheLine = "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ml.so.1\n";

// The container asks for GPU 1 only, and the image carries a node for GPU 0 at /n0, which the device cgroup must
// still refuse.
void given_gpu1_with_a_planted_gpu0_node(Bundle& b, const PrestartConfig& config) {
  ASSERT_EQ(::mknod(b.host_path_of("/n0").c_str(), S_IFCHR | 0666, makedev(195, 0)), 0);
  b.env("NVIDIA_VISIBLE_DEVICES=1");
  b.hook(Stage::kPrestart, prestart_hook(config));
}

std::string gpu_script() {
  return std::string("ldconfig -p | grep -F 'libnvidia-ml.so.1 '; ") + kNvidiaSmi +
         " -L; head -c1 /dev/nvidia0 2>&1 >/dev/null | sed 's/.*: //'";
}

test::RunResult run_with_gpus(const PrestartConfig& config, const std::string& visible, const std::string& script) {
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=" + visible);
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell(script);
  return run_runc(b);
}

TEST(PrestartLegacy, AllGivesEveryGpuItsNodesTheLibrariesAndTheCgroup) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "auto");
  auto r = run_with_gpus(config, "all", gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list(host.gpus()) + "No such device or address\n");
}

TEST(PrestartLegacy, AnIndexGivesOnlyThatGpu) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "legacy");
  auto r = run_with_gpus(config, "1", std::string(kNvidiaSmi) + " -L; ls /dev | grep -c '^nvidia[0-9]'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[1]}) + "1\n");
}

TEST(PrestartLegacy, AUuidGivesThatGpu) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "legacy");
  auto r = run_with_gpus(config, host.gpus()[1].uuid, std::string(kNvidiaSmi) + " -L");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[1]}));
}

TEST(PrestartLegacy, ANodeTheContainerWasNotGivenStaysDenied) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "legacy");
  Bundle b;
  given_gpu1_with_a_planted_gpu0_node(b, config);
  b.shell("head -c1 /n0 2>&1 >/dev/null | sed 's/.*: //'; head -c1 /dev/nvidia1 2>&1 >/dev/null | sed 's/.*: //'");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Operation not permitted\nNo such device or address\n");
}

TEST(PrestartLegacy, TheLogSaysWhichPathServedAndWhy) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "auto");
  auto r = run_with_gpus(config, "0", "true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string log = config.log_text();
  EXPECT_NE(log.find("legacy path serves the container: unresolvable CDI devices nvidia.com/gpu=0"), std::string::npos)
      << log;
}

TEST(PrestartLegacy, WithoutAGpuRequestTheHookDoesNothing) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "auto");
  Bundle b;
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("ls /dev | grep -c nvidia; ls /usr/local/nvidia 2>&1 | sed 's/.*: //'");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\nNo such file or directory\n");
}

TEST(PrestartLegacy, AGpuIndexTheHostLacksFailsTheStartWithBothReasons) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "auto");
  auto r = run_with_gpus(config, "3", "echo started");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unresolvable CDI devices nvidia.com/gpu=3; legacy: no GPU with index 3 (2 GPUs)"),
            std::string::npos)
      << r.err;
}

// ---- cgroup v2: the runtime's eBPF device program, with our rules in front ------------------------------------

TEST(PrestartCgroupV2, TheGpuNodesOpenAndANodeNotGivenStaysDenied) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "legacy");
  Bundle b;
  given_gpu1_with_a_planted_gpu0_node(b, config);
  b.shell(
      "grep -c '^0::' /proc/self/cgroup; head -c1 /dev/nvidia1 2>&1 >/dev/null | sed 's/.*: //'; "
      "head -c1 /n0 2>&1 >/dev/null | sed 's/.*: //'; echo x > /dev/null && echo null-still-works");
  auto r = run_runc(b, 60, Cgroups::kV2);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\nNo such device or address\nOperation not permitted\nnull-still-works\n");
}

// NVIDIA_IMEX_CHANNELS: the host's channel node is mounted and allowed; the container can open it past the cgroup
// (the simulated node has no driver behind it: ENXIO, not EPERM).
TEST(PrestartLegacy, AnImexChannelIsGivenWithItsNodeAndCgroupRule) {
  const auto& host = shared_simulated_host(1);
  const auto dir = host.root() / "dev/nvidia-caps-imex-channels";
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists(dir / "channel0"))
    ASSERT_EQ(::mknod((dir / "channel0").c_str(), S_IFCHR | 0666, makedev(242, 0)), 0);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.env("NVIDIA_IMEX_CHANNELS=0");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell(
      "stat -c '%t:%T' /dev/nvidia-caps-imex-channels/channel0; "
      "head -c1 /dev/nvidia-caps-imex-channels/channel0 2>&1 >/dev/null | sed 's/.*: //'");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "f2:0\nNo such device or address\n");
}

TEST(PrestartLegacy, AnImexChannelTheHostLacksFailsTheStartNamingIt) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.env("NVIDIA_IMEX_CHANNELS=7");
  auto r = run_refused_start(b, config, "0");
  EXPECT_NE(r.err.find("IMEX channel 7: no device node"), std::string::npos) << r.err;
}

// ---- CDI first ----------------------------------------------------------------------------------------------------

TEST(PrestartCdi, ASpecInTheSpecDirServesTheContainerInModeCdi) {
  const auto& host = shared_simulated_host(2);
  PrestartConfig config(host, "cdi");
  auto gen = run_gpuhooks({"cdi", "generate", "--driver-root", host.root().string(), "--nvidia-cdi-hook-path",
                           test::built("nvidia-cdi-hook").string(), "--ldconfig-path", "/sbin/ldconfig", "--output",
                           (config.spec_dir / "nvidia.yaml").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto r = run_with_gpus(config, "0", gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list({host.gpus()[0]}) + "No such device or address\n");
  const std::string log = config.log_text();
  EXPECT_NE(log.find("cdi path serves the container"), std::string::npos) << log;
  EXPECT_NE(log.find("env edit NVIDIA_VISIBLE_DEVICES=void not applied"), std::string::npos) << log;
}

// A spec left from the driver before an upgrade still serves, but the log says it is stale and how to fix it.
TEST(PrestartCdi, AStaleSpecServesWithAWarningThatNamesTheFix) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "cdi");
  const auto spec = config.spec_dir / "nvidia.yaml";
  auto gen = run_gpuhooks({"cdi", "generate", "--driver-root", host.root().string(), "--nvidia-cdi-hook-path",
                           test::built("nvidia-cdi-hook").string(), "--ldconfig-path", "/sbin/ldconfig", "--output",
                           spec.string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  std::string text = test::read_file(spec);
  const std::string flag = "--host-driver-version=580.159.04";
  ASSERT_NE(text.find(flag), std::string::npos) << text;
  text.replace(text.find(flag), flag.size(), "--host-driver-version=550.54.14");
  test::write_file(spec, text);
  auto r = run_with_gpus(config, "0", "echo started");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "started\n");
  const std::string log = config.log_text();
  EXPECT_NE(log.find("CDI spec " + spec.string() +
                     " is stale: it was generated for driver 550.54.14 but the host runs 580.159.04; regenerate it "
                     "with: systemctl start gpuhooks-cdi-refresh.service"),
            std::string::npos)
      << log;
}

TEST(PrestartCdi, NoSpecAndNoFallbackFailsTheStartInModeCdi) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "cdi");
  auto r = run_with_gpus(config, "0", "echo started");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unresolvable CDI devices nvidia.com/gpu=0"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gpuhooks::e2e
