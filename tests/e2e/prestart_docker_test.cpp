// nvidia-container-runtime-hook prestart through Docker's real --gpus path: Debian's dockerd 20.10 turns --gpus into
// NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES in the container's env and adds our hook as the first prestart
// hook with dockerd's own environment, which names the config.toml (runtimes.md §3b, moby-gpus.md B.3). The config
// names the simulated GPU host as the driver root. Unlike prestart_runc_test.cpp, nothing here writes config.json:
// what dockerd writes (no linux.devices, deny-all device cgroup, not privileged) is what the hook has to serve.
#include <gtest/gtest.h>

#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/docker.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr const char* kNvidiaSmi = "/usr/local/nvidia/bin/nvidia-smi";
constexpr const char* kCacheLine = "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ml.so.1\n";

// The shared dockerd's config.toml, rewritten for one test: the simulated host, the given mode, and a CDI spec dir
// and log of the test's own. dockerd is shared, so the config file is too; each test writes it before its runs.
struct HookSetup {
  test::TempDir dir;
  fs::path spec_dir = dir / "cdi";
  fs::path log = dir / "hook.log";  // dockerd passes a hook's stderr on only when the hook fails

  HookSetup(const SimulatedHost& host, const std::string& mode) {
    fs::create_directories(spec_dir);
    test::write_file(shared_docker().hook_config_file(),
                     "[nvidia-container-cli]\nroot = \"" + host.root().string() + "\"\ndebug = \"" + log.string() +
                         "\"\nldconfig = \"@/sbin/ldconfig\"\n\n[nvidia-container-runtime]\nmode = \"" + mode +
                         "\"\n\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" + spec_dir.string() + "\"]\n");
  }
  std::string log_text() const { return test::read_file(log); }
};

// The GPUs a container sees: its ld.so.cache entry for NVML, the host's nvidia-smi, and what opening GPU 0's node
// gives (ENXIO: the cgroup let it through to a driver that is not there).
std::string gpu_script(const std::string& node = "/dev/nvidia0") {
  return std::string("ldconfig -p | grep -F 'libnvidia-ml.so.1 '; ") + kNvidiaSmi + " -L; head -c1 " + node +
         " 2>&1 >/dev/null | sed 's/.*: //'";
}

// The GPU nodes and the env Docker set: proves both halves, what Docker asked for and what the hook gave.
const char* const kListScript =
    "echo \"$NVIDIA_VISIBLE_DEVICES|$NVIDIA_DRIVER_CAPABILITIES\"; ls /dev | grep '^nvidia' | tr '\\n' ' '; echo";

test::RunResult run_gpus(const std::string& gpus, const std::string& script) {
  return shared_docker().run({"--gpus", gpus}, script);
}

TEST(PrestartDocker, GpusAllGivesEveryGpuItsNodesTheLibrariesAndTheCgroup) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("all", gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list(host.gpus()) + "No such device or address\n");
}

TEST(PrestartDocker, GpusCountGivesTheFirstNGpus) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("2", std::string(kNvidiaSmi) + " -L; " + kListScript);
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, nvidia_smi_list(host.gpus()) + "0,1|\nnvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidiactl \n");
}

TEST(PrestartDocker, GpusDeviceIndexGivesOnlyThatGpu) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("\"device=1\"", gpu_script("/dev/nvidia1") + "; " + kListScript);
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list({host.gpus()[1]}) +
                       "No such device or address\n1|\nnvidia-uvm nvidia-uvm-tools nvidia1 nvidiactl \n");
}

TEST(PrestartDocker, GpusDeviceUuidGivesThatGpu) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  const std::string uuid = host.gpus()[1].uuid;
  auto r = run_gpus("device=" + uuid, std::string(kNvidiaSmi) + " -L; " + kListScript);
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[1]}) + uuid + "|\nnvidia-uvm nvidia-uvm-tools nvidia1 nvidiactl \n");
}

TEST(PrestartDocker, CapabilitiesUtilityGetsNoUvmNode) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("all,\"capabilities=utility\"", kListScript);
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, "all|utility\nnvidia0 nvidia1 nvidiactl \n");
}

TEST(PrestartDocker, CapabilitiesComputeUtilityGetsTheUvmNode) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("all,\"capabilities=compute,utility\"",
                    kListScript + std::string("; head -c1 /dev/nvidia-uvm 2>&1 | sed 's/.*: //'"));
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out,
            "all|compute,utility\nnvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidiactl \nNo such device or address\n");
}

TEST(PrestartDocker, TheLogSaysWhichPathServedAndWhy) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("all", "true");
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  const std::string log = setup.log_text();
  EXPECT_NE(log.find("legacy path serves the container: unresolvable CDI devices nvidia.com/gpu=all"),
            std::string::npos)
      << log;
}

TEST(PrestartDocker, ASpecInTheSpecDirServesTheContainerInModeAuto) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto gen = run_gpuhooks({"cdi", "generate", "--driver-root", host.root().string(), "--nvidia-cdi-hook-path",
                           test::executable("nvidia-cdi-hook").string(), "--ldconfig-path", "/sbin/ldconfig",
                           "--output", (setup.spec_dir / "nvidia.yaml").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto r = run_gpus("\"device=0\"", gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list({host.gpus()[0]}) + "No such device or address\n");
  const std::string log = setup.log_text();
  EXPECT_NE(log.find("cdi path serves the container"), std::string::npos) << log;
  EXPECT_NE(log.find("env edit NVIDIA_VISIBLE_DEVICES=void not applied"), std::string::npos) << log;
}

TEST(PrestartDocker, AGpuIndexTheHostLacksFailsTheRunWithBothReasons) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("\"device=3\"", "echo started");
  EXPECT_EQ(r.exit_code, 125) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unresolvable CDI devices nvidia.com/gpu=3; legacy: no GPU with index 3 (2 GPUs)"),
            std::string::npos)
      << r.err;
}

// The hook mounts inside the container's mount namespace, and dockerd's rootfs is rprivate, so nothing may reach the
// host's: after a run, neither the simulated host nor dockerd's dirs may be part of any mount here.
TEST(PrestartDocker, NoMountOfARunIsLeftOnTheHost) {
  const auto& host = shared_simulated_host(2);
  HookSetup setup(host, "auto");
  auto r = run_gpus("all", "true");
  ASSERT_EQ(r.exit_code, 0) << r.err << setup.log_text();
  auto& docker = shared_docker();
  std::string left;
  bool saw_dockerd_bind = false;
  for (const auto& dir : {host.root(), docker.dir()}) {
    for (const auto& m : mounts_under(dir)) {
      // dockerd's own: overlay2 binds its data root onto itself for as long as dockerd runs. Seeing it shows the
      // scan reads the mounts at all.
      if (m.mount_point == docker.data_root() && m.root == docker.data_root()) {
        saw_dockerd_bind = true;
        continue;
      }
      left += m.root + " on " + m.mount_point + "\n";
    }
  }
  EXPECT_TRUE(saw_dockerd_bind);
  EXPECT_EQ(left, "");
}

}  // namespace
}  // namespace gpuhooks::e2e
