// nvidia-container-runtime-hook prestart under podman 4.3 + runc, brought in by an OCI hooks.d file as podman and
// CRI-O nodes use it (runtimes.md §2d), on the simulated GPU host. With the packaged file, `podman run --annotation
// nvidia.com/gpus=…` must give the container exactly the GPUs it asked for (nodes past the device cgroup, driver
// libraries in its ld.so.cache, the host's nvidia-smi), a container without the annotation must not run the hook at
// all (NVIDIA_VISIBLE_DEVICES alone brings nothing), and a GPU the host lacks must stop the run with the
// hook's one-line reason. With the file `gpuhooks runtime configure --config-mode oci-hook` writes by default
// (`always`), a request by env alone is served, as a Kubernetes device plugin's envvar strategy needs.
//
// Why an annotation and not the env: podman 4.3's `when` (containers/common pkg/hooks 1.0.0) knows only `always`,
// `annotations`, `commands` and `hasBindMounts`. An unknown key such as `"env"` is dropped by the JSON decoder,
// leaving a `when` that matches nothing (PodmanIgnoresAnEnvCondition pins this). The files are the ones of
// common/config/oci_hook_file.h, pointed at the built hook and this test's config.toml.
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

  explicit PodmanHookSetup(const SimulatedHost& host, config::HookWhen when = config::HookWhen::GpusAnnotation) {
    fs::create_directories(spec_dir);
    test::write_file(config, "[nvidia-container-cli]\nroot = \"" + host.root().string() + "\"\ndebug = \"" +
                                 log.string() + "\"\nldconfig = \"@/sbin/ldconfig\"\n\n[nvidia-container-runtime]\n" +
                                 "mode = \"auto\"\n\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" +
                                 spec_dir.string() + "\"]\n");
    test::write_file(hooks_dir / "oci-nvidia-hook.json",
                     config::oci_hook_file_json(test::built("nvidia-container-runtime-hook").string(), when,
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

TEST(PrestartPodman, TheAnnotationAllGivesEveryGpuItsNodesTheLibrariesAndTheCgroup) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({"--annotation", "nvidia.com/gpus=all"}, gpu_script());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ENXIO, never EPERM: the node opens past the device cgroup and only then finds no driver.
  EXPECT_EQ(r.out, std::string(kCacheLine) + nvidia_smi_list(host.gpus()) + "No such device or address\n");
  // The hooks.d hook, and not something else, served it.
  const std::string log = log_of(setup.log);
  EXPECT_NE(log.find("legacy path serves the container"), std::string::npos) << log;
}

TEST(PrestartPodman, TheAnnotationsIndexGivesOnlyThatGpuWhateverTheEnvSays) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({"--annotation", "nvidia.com/gpus=1", "-e", "NVIDIA_VISIBLE_DEVICES=all"},
                     std::string(kNvidiaSmi) + " -L; ls /dev | grep '^nvidia[0-9]'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[1]}) + "nvidia1\n");
}

// The packaged file keeps the hook out of every other container: not even its debug log is opened, and an image's
// env cannot bring GPUs in by itself.
TEST(PrestartPodman, WithoutTheAnnotationTheHookDoesNotRun) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  for (const auto& options : {std::vector<std::string>{}, {"-e", "NVIDIA_VISIBLE_DEVICES=all"}}) {
    auto r = setup.run(options, "ls /dev | grep -c nvidia; ls /usr/local/nvidia 2>&1 | sed 's/.*: //'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "0\nNo such file or directory\n");
    EXPECT_FALSE(fs::exists(setup.log));
  }
}

TEST(PrestartPodman, AGpuIndexTheHostLacksFailsTheRunWithTheHooksReason) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host);
  auto r = setup.run({"--annotation", "nvidia.com/gpus=3"}, "echo started");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("started"), std::string::npos) << r.out;
  EXPECT_NE((r.out + r.err).find("unresolvable CDI devices nvidia.com/gpu=3; legacy: no GPU with index 3 (2 GPUs)"),
            std::string::npos)
      << r.err;
}

// The `always` file of `runtime configure --config-mode oci-hook`: a request by env alone is served, and a container
// that asks for nothing runs the hook (its debug log is opened) and is left as it was by the hook's own check.
TEST(PrestartPodman, TheAlwaysFileServesARequestByEnvAlone) {
  const auto& host = shared_simulated_host(2);
  PodmanHookSetup setup(host, config::HookWhen::Always);
  auto r = setup.run({}, "ls /dev | grep -c nvidia; ls /usr/local/nvidia 2>&1 | sed 's/.*: //'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\nNo such file or directory\n");
  EXPECT_TRUE(fs::exists(setup.log));
  EXPECT_EQ(log_of(setup.log), "");
  r = setup.run({"-e", "NVIDIA_VISIBLE_DEVICES=0"}, std::string(kNvidiaSmi) + " -L; ls /dev | grep '^nvidia[0-9]'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nvidia_smi_list({host.gpus()[0]}) + "nvidia0\n");
}

// Why the packaged file cannot select GPU containers by env: podman 4.3 accepts such a file without a word and then
// matches no container at all.
TEST(PrestartPodman, PodmanIgnoresAnEnvCondition) {
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
