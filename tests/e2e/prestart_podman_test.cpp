// nvidia-container-runtime-hook prestart under podman 4.3 + runc, brought in by an OCI hooks.d file as podman and
// CRI-O nodes use it (runtimes.md §2d), on the simulated GPU host: `podman run -e NVIDIA_VISIBLE_DEVICES=…` must give
// the container exactly the GPUs it asked for (nodes past the device cgroup, driver libraries in its ld.so.cache, the
// host's nvidia-smi), a container that asks for none must be left as it was, and a GPU the host lacks must stop the
// run with the hook's one-line reason.
//
// Why the hooks.d file matches every container: podman 4.3's `when` (containers/common pkg/hooks 1.0.0) knows only
// `always`, `annotations`, `commands` and `hasBindMounts`. There is no condition on the container's env, and an
// unknown key such as `"env"` is dropped by the JSON decoder, leaving a `when` that matches nothing, so the hook would
// never run (PodmanIgnoresAnEnvConditionSoTheFileMustMatchEveryContainer pins this). The filter on
// NVIDIA_VISIBLE_DEVICES is the hook's own: it reads process.env from config.json and returns at once, touching
// nothing, when the container asks for no GPU. NVIDIA's own oci-nvidia-hook.json is `always` too (with `commands:
// [".*"]`, which adds nothing). The file is the one `gpuhooks runtime configure --config-mode oci-hook` writes and the
// package ships (common/config/oci_hook_file.h), pointed at the built hook and this test's config.toml.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/config/oci_hook_file.h"
#include "e2e/harness/podman.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr const char* kNvidiaSmi = "/usr/local/nvidia/bin/nvidia-smi";
constexpr const char* kCacheLine = "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ml.so.1\n";

// config.toml for the simulated host with an empty private CDI spec dir (mode auto falls through to the legacy path),
// and a hooks.d dir holding the packaged file pointed at the built hook and this config.
struct PodmanHookSetup {
  test::TempDir dir;
  fs::path config = dir / "config.toml";
  fs::path spec_dir = dir / "cdi";
  fs::path hooks_dir = dir / "hooks.d";
  fs::path log = dir / "hook.log";  // podman shows a hook's stderr only when the hook fails

  explicit PodmanHookSetup(const SimulatedHost& host) {
    fs::create_directories(spec_dir);
    test::write_file(config, "[nvidia-container-cli]\nroot = \"" + host.root().string() + "\"\ndebug = \"" +
                                 log.string() + "\"\nldconfig = \"@/sbin/ldconfig\"\n\n[nvidia-container-runtime]\n" +
                                 "mode = \"auto\"\n\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" +
                                 spec_dir.string() + "\"]\n");
    test::write_file(hooks_dir / "oci-nvidia-hook.json",
                     config::oci_hook_file_json(test::built("nvidia-container-runtime-hook").string(),
                                                {"NVIDIA_CTK_CONFIG_FILE_PATH=" + config.string()}));
  }

  // podman run with only this hooks dir (--hooks-dir replaces the default /usr/share/containers/oci/hooks.d, so a
  // file installed there by someone else cannot join in). --hooks-dir is a global flag that podman also takes after
  // `run`.
  test::RunResult run(std::vector<std::string> options, const std::string& script) const {
    options.insert(options.begin(), {"--hooks-dir", hooks_dir.string()});
    return shared_podman().run(options, {"/bin/sh", "-c", script});
  }
};

std::string gpu_script() {
  return std::string("ldconfig -p | grep -F 'libnvidia-ml.so.1 '; ") + kNvidiaSmi +
         " -L; head -c1 /dev/nvidia0 2>&1 >/dev/null | sed 's/.*: //'";
}

std::string log_of(const fs::path& log) { return fs::exists(log) ? test::read_file(log) : ""; }

TEST(PrestartPodman, AllGivesEveryGpuItsNodesTheLibrariesAndTheCgroup) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({"-e", "NVIDIA_VISIBLE_DEVICES=all"}, gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ENXIO, never EPERM: the node opens past the device cgroup and only then finds no driver.
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list(host.gpus()) + "No such device or address\n");
  // The hooks.d hook, and not something else, served it.
  const std::string log = log_of(setup.log);
  EXPECT_NE(log.find("legacy path serves the container"), std::string::npos) << log;
}

TEST(PrestartPodman, AnIndexGivesOnlyThatGpu) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r =
      setup.run({"-e", "NVIDIA_VISIBLE_DEVICES=1"}, std::string(kNvidiaSmi) + " -L; ls /dev | grep '^nvidia[0-9]'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[1]}) + "nvidia1\n");
}

TEST(PrestartPodman, WithoutAGpuRequestTheContainerIsLeftAsItWas) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({}, "ls /dev | grep -c nvidia; ls /usr/local/nvidia 2>&1 | sed 's/.*: //'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\nNo such file or directory\n");
  // The hook did run (`always`): opening its debug log is the one trace it leaves, and that trace proves the file
  // was read, so the container above is untouched because of the hook's own check, not a broken hooks.d file.
  EXPECT_TRUE(fs::exists(setup.log));
  EXPECT_EQ(log_of(setup.log), "");
}

TEST(PrestartPodman, AGpuIndexTheHostLacksFailsTheRunWithTheHooksReason) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({"-e", "NVIDIA_VISIBLE_DEVICES=3"}, "echo started");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("started"), std::string::npos) << r.out;
  EXPECT_NE((r.out + r.err).find("unresolvable CDI devices nvidia.com/gpu=3; legacy: no GPU with index 3 (2 GPUs)"),
            std::string::npos)
      << r.err;
}

// Guards the packaged file's `always`: a hooks.d file that tries to select GPU containers by env is accepted by
// podman 4.3 without a word and then matches no container at all, so GPU containers would start without their GPUs.
TEST(PrestartPodman, PodmanIgnoresAnEnvConditionSoTheFileMustMatchEveryContainer) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto file = nlohmann::json::parse(test::read_file(setup.hooks_dir / "oci-nvidia-hook.json"));
  file["when"] = {{"env", {"^NVIDIA_VISIBLE_DEVICES=.+$"}}};
  test::write_file(setup.hooks_dir / "oci-nvidia-hook.json", file.dump());
  auto r = setup.run({"-e", "NVIDIA_VISIBLE_DEVICES=all"}, "ls /dev | grep -c nvidia || true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  EXPECT_FALSE(fs::exists(setup.log));
}

}  // namespace
}  // namespace gpuhooks::e2e
