// `gpuhooks explain --bundle DIR --format json`: the prestart hook's decision for a bundle, printed, nothing
// touched. The driver root is the simulated GPU host (2 GPUs), named by config.toml; the CDI spec dir is the test's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "discovery_simulated_host.h"
#include "support/test_support.h"

using namespace gpuhooks::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

class CliExplain : public ::testing::Test {
 protected:
  CliExplain() { mode("auto"); }

  void mode(const std::string& m) {
    write_file(dir_ / "config.toml", "[nvidia-container-cli]\nroot = \"" + simulated_host("--gpus 2").string() +
                                         "\"\n[nvidia-container-runtime]\nmode = \"" + m +
                                         "\"\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" +
                                         (dir_ / "cdi").string() + "\"]\n");
  }

  void bundle(const std::vector<std::string>& env, const json& annotations) {
    json config = {{"ociVersion", "1.0.2-dev"},
                   {"process", {{"env", env}, {"capabilities", {{"bounding", bounding_}}}}},
                   {"root", {{"path", "rootfs"}}}};
    if (!annotations.empty()) config["annotations"] = annotations;
    write_file(dir_ / "bundle/config.json", config.dump());
  }

  RunResult explain(const std::vector<std::string>& env, const json& annotations = json::object(),
                    const std::string& format = "json") {
    bundle(env, annotations);
    return run({built("gpuhooks").string(), "explain", "--bundle", (dir_ / "bundle").string(), "--config",
                (dir_ / "config.toml").string(), "--format", format});
  }

  json explained(const std::vector<std::string>& env, const json& annotations = json::object()) {
    RunResult r = explain(env, annotations);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  static std::vector<std::string> paths(const json& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.at("path"));
    return out;
  }

  TempDir dir_;
  std::vector<std::string> bounding_ = {"CAP_CHOWN"};  // CAP_SYS_ADMIN as well: a privileged container
};

}  // namespace

TEST_F(CliExplain, WithoutAGpuRequestNothingHappens) {
  json e = explained({"PATH=/bin"});
  EXPECT_EQ(e["gpu_container"], false);
  EXPECT_EQ(e["path"], "none");
  EXPECT_EQ(e["plan"]["device_nodes"].size(), 0u);
}

TEST_F(CliExplain, TheRequestIsReportedAfterTheEnvRules) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0,1"});
  EXPECT_EQ(e["gpu_container"], true);
  EXPECT_EQ(e["request"]["devices"], json({"0", "1"}));
  EXPECT_EQ(e["request"]["requested_by"], "NVIDIA_VISIBLE_DEVICES");
  EXPECT_EQ(e["request"]["driver_capabilities"], json({"compute", "utility"}));
  EXPECT_EQ(e["request"]["requirements"], json::array());
  EXPECT_EQ(e["request"]["mig_config_devices"], nullptr);
  EXPECT_EQ(e["cdi_devices"], json({"nvidia.com/gpu=0", "nvidia.com/gpu=1"}));
}

// The nvidia.com/gpus annotation of the packaged hooks.d file is the request, before the image's env, and explain
// says which one asked.
TEST_F(CliExplain, TheGpusAnnotationIsTheRequestAndExplainSaysSo) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=all"}, {{"nvidia.com/gpus", "1"}});
  EXPECT_EQ(e["request"]["devices"], json({"1"}));
  EXPECT_EQ(e["request"]["requested_by"], "annotation nvidia.com/gpus");
  RunResult r = explain({"CUDA_VERSION=12.4"}, json::object(), "text");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("devices: all (requested by a legacy CUDA image's default)\n"));
}

TEST_F(CliExplain, WithNoSpecTheLegacyPathServesAndSaysWhy) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=all"});
  EXPECT_EQ(e["path"], "legacy");
  EXPECT_THAT(e["reason"].get<std::string>(), HasSubstr("unresolvable CDI devices nvidia.com/gpu=all"));
}

TEST_F(CliExplain, TheLegacyPlanBindsTheRequestedGpusAndTheControlNodesWithTheirCgroupRules) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=1"});
  const auto& host = simulated_host("--gpus 2").string();
  EXPECT_THAT(
      paths(e["plan"]["device_nodes"]),
      ::testing::UnorderedElementsAre("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia1"));
  for (const auto& n : e["plan"]["device_nodes"]) EXPECT_EQ(n["host_path"], host + n["path"].get<std::string>()) << n;
  // libnvidia-container's rule: read and write, not mknod (the nodes are bound, not made).
  EXPECT_THAT(e["plan"]["cgroup_rules"],
              ::testing::Contains(json({{"type", "c"}, {"major", 195}, {"minor", 1}, {"access", "rw"}})));
}

TEST_F(CliExplain, CudaCompatModeOtherThanLdconfigRunsNoCompatHook) {
  write_file(dir_ / "config.toml", "[nvidia-container-cli]\nroot = \"" + simulated_host("--gpus 2").string() +
                                       "\"\n[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"disabled\"\n"
                                       "[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" +
                                       (dir_ / "cdi").string() + "\"]\n");
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  for (const auto& h : e["plan"]["hooks"])
    for (const auto& a : h["args"]) EXPECT_NE(a, "enable-cuda-compat") << h;
}

TEST_F(CliExplain, WithoutGraphicsNoApplicationProfileHookRuns) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  for (const auto& h : e["plan"]["hooks"])
    for (const auto& a : h["args"]) EXPECT_NE(a, "update-application-profile") << h;
}

TEST_F(CliExplain, UtilityAloneGetsNoUvmNodes) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=utility"});
  EXPECT_THAT(paths(e["plan"]["device_nodes"]), ::testing::UnorderedElementsAre("/dev/nvidiactl", "/dev/nvidia0"));
}

TEST_F(CliExplain, TheLegacyPlanMountsTheDriverFilesReadOnlyAndIndexesTheirFolder) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  EXPECT_THAT(paths(e["plan"]["mounts"]), ::testing::Contains("/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04"));
  for (const auto& m : e["plan"]["mounts"]) EXPECT_EQ(m["read_only"], true) << m;
  EXPECT_EQ(e["plan"]["ldcache_folders"], json({"/usr/local/nvidia/lib64"}));
  EXPECT_THAT(e["plan"]["links"],
              ::testing::Contains(json({{"path", "/usr/local/nvidia/lib64/libcuda.so"}, {"target", "libcuda.so.1"}})));
}

TEST_F(CliExplain, ASpecThatResolvesEveryDeviceServesTheContainer) {
  write_file(dir_ / "cdi/nvidia.yaml",
             "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ncontainerEdits:\n  env: [NVIDIA_VISIBLE_DEVICES=void]\n"
             "devices:\n- name: '0'\n  containerEdits:\n    deviceNodes: [{path: /dev/null}]\n");
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  EXPECT_EQ(e["path"], "cdi");
  EXPECT_EQ(paths(e["plan"]["device_nodes"]), std::vector<std::string>{"/dev/null"});
  EXPECT_EQ(e["plan"]["env"], json({"NVIDIA_VISIBLE_DEVICES=void"}));
}

// A spec may list a file before the directory it lies in: the plan mounts the directory first, as the runtimes'
// CDI path would (shallowest first, ties in the spec's order), so the directory never hides the file.
TEST_F(CliExplain, MountsAreMadeShallowestFirstAndInTheSpecsOrderOtherwise) {
  write_file(dir_ / "cdi/nvidia.yaml",
             "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: '0'\n  containerEdits:\n    mounts:\n"
             "    - {hostPath: /etc/hostname, containerPath: /opt/gh/a}\n"
             "    - {hostPath: /etc/hosts, containerPath: /opt/z}\n"
             "    - {hostPath: /etc, containerPath: /opt/gh}\n"
             "    - {hostPath: /etc/hosts, containerPath: /opt/gh/b}\n"
             "    - {hostPath: /etc/passwd, containerPath: /opt/./y/}\n");
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  ASSERT_EQ(e["path"], "cdi") << e.dump();
  EXPECT_EQ(paths(e["plan"]["mounts"]), (std::vector<std::string>{"/opt/z", "/opt/gh", "/opt/./y/", "/opt/gh/a",
                                                                  "/opt/gh/b"}));
}

TEST_F(CliExplain, ModeLegacyIgnoresASpecThatWouldResolve) {
  write_file(dir_ / "cdi/nvidia.yaml",
             "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: '0'\n  containerEdits: {env: [A=1]}\n");
  mode("legacy");
  EXPECT_EQ(explained({"NVIDIA_VISIBLE_DEVICES=0"})["path"], "legacy");
}

TEST_F(CliExplain, ModeCdiWithoutASpecIsUnservedButExplainStillSucceeds) {
  mode("cdi");
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0"});
  EXPECT_EQ(e["path"], "none");
  EXPECT_EQ(e["reason"], "unresolvable CDI devices nvidia.com/gpu=0");
}

TEST_F(CliExplain, AGpuTheHostLacksIsUnservedWithBothReasons) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=3"});
  EXPECT_EQ(e["path"], "none");
  EXPECT_EQ(e["reason"], "unresolvable CDI devices nvidia.com/gpu=3; legacy: no GPU with index 3 (2 GPUs)");
}

TEST_F(CliExplain, AnUnknownCapabilityIsTheHooksOneLineError) {
  RunResult r = explain({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,foo"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("unsupported capabilities found in 'compute,foo'"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CliExplain, AnUnmetRequirementIsAnErrorNamingItAndTheHostValue) {
  RunResult r = explain({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cuda>=99.0"));
  EXPECT_THAT(r.err, HasSubstr("cuda 13.0"));
}

// arch and brand are the selected GPU's, from NVML (the simulated H100: brand NVIDIA, compute capability 9.0).
TEST_F(CliExplain, ArchAndBrandRequirementsAreTheSelectedGpus) {
  EXPECT_EQ(explained({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_ARCH=arch>=9.0 brand=nvidia,arch<9"})["path"],
            "legacy");
  RunResult arch = explain({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_ARCH=arch>=10.0"});
  EXPECT_EQ(arch.exit_code, 1);
  EXPECT_THAT(arch.err, HasSubstr("unsatisfied condition: arch>=10.0"));
  EXPECT_THAT(arch.err, HasSubstr("brand nvidia, arch 9.0"));
  RunResult brand = explain({"NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_REQUIRE_BRAND=brand=tesla"});
  EXPECT_EQ(brand.exit_code, 1);
  EXPECT_THAT(brand.err, HasSubstr("unsatisfied condition: brand=tesla"));
}

TEST_F(CliExplain, DisableRequireSkipsTheRequirements) {
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0", "NVIDIA_DISABLE_REQUIRE=true"});
  EXPECT_EQ(e["request"]["disable_require"], true);
  EXPECT_EQ(e["request"]["requirements"], json::array());
}

TEST_F(CliExplain, AMalformedConfigJsonIsOneLineNamingTheFile) {
  write_file(dir_ / "bundle/config.json", "{\"ociVersion\": ");
  RunResult r = run({built("gpuhooks").string(), "explain", "--bundle", (dir_ / "bundle").string(), "--config",
                     (dir_ / "config.toml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("config.json"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CliExplain, MigConfigInAPrivilegedContainerIsServedByTheLegacyPathWithTheCapabilityNodes) {
  write_file(dir_ / "cdi/nvidia.yaml",
             "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: '0'\n  containerEdits: {env: [A=1]}\n");
  bounding_ = {"CAP_CHOWN", "CAP_SYS_ADMIN"};
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=all"});
  EXPECT_EQ(e["request"]["mig_config_devices"], "all");
  EXPECT_EQ(e["path"], "legacy");
  EXPECT_THAT(e["reason"].get<std::string>(),
              HasSubstr("NVIDIA_MIG_CONFIG_DEVICES asks for MIG capabilities, which no CDI spec carries"));
  const auto host = simulated_host("--gpus 2").string();
  EXPECT_THAT(e["plan"]["mounts"], ::testing::Contains(json({{"host_path", host + "/dev/nvidia-caps"},
                                                             {"path", "/dev/nvidia-caps"},
                                                             {"read_only", false},
                                                             {"no_exec", true},
                                                             {"devices", true}})));
  EXPECT_THAT(paths(e["plan"]["mounts"]), ::testing::Contains("/proc/driver/nvidia/capabilities"));
  // The mig/config node of the simulated host (gpu-host-h100.md §4: nvidia-caps 241, minor 1).
  EXPECT_THAT(e["plan"]["cgroup_rules"],
              ::testing::Contains(json({{"type", "c"}, {"major", 241}, {"minor", 1}, {"access", "rw"}})));
}

TEST_F(CliExplain, MigMonitorWithModeCdiIsUnservedSayingWhy) {
  mode("cdi");
  bounding_ = {"CAP_SYS_ADMIN"};
  json e = explained({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_MONITOR_DEVICES=all"});
  EXPECT_EQ(e["path"], "none");
  EXPECT_EQ(e["reason"], "NVIDIA_MIG_MONITOR_DEVICES asks for MIG capabilities, which no CDI spec carries");
}

TEST_F(CliExplain, MigConfigOtherThanAllIsTheHooksOneLineError) {
  bounding_ = {"CAP_SYS_ADMIN"};
  RunResult r = explain({"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NVIDIA_MIG_CONFIG_DEVICES=\"0\": only \"all\" is supported"));
}
