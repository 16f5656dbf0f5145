// `gpuhooks cdi generate` on simulated hosts, run as a user runs it: the spec's content per flag (nvidia-hooks.md
// §3.1-§3.3). Needs the gpuhooks binary of this build.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "discovery_simulated_host.h"

namespace gpuhooks {
namespace {

namespace fs = std::filesystem;
using gpuhooks::test::kLib64;
using nlohmann::json;
using ::testing::ElementsAre;
const std::string kUuid0 = "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a";
const std::vector<std::string> kEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};

test::RunResult generate(const fs::path& root, std::vector<std::string> flags, std::vector<std::string> env = kEnv) {
  std::vector<std::string> argv = {test::built("gpuhooks").string(), "cdi", "generate", "--driver-root", root.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return test::run(argv, "", env);
}

json spec_of(const fs::path& root, std::vector<std::string> flags = {}) {
  flags.insert(flags.end(), {"--format", "json"});
  auto r = generate(root, flags);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

std::vector<std::string> device_names(const json& spec) {
  std::vector<std::string> names;
  for (const auto& d : spec["devices"]) names.push_back(d["name"]);
  return names;
}

std::vector<std::string> hook_names(const json& edits) {
  std::vector<std::string> names;
  for (const auto& h : edits.value("hooks", json::array())) names.push_back(h["args"][1]);
  return names;
}

const json* find_mount(const json& spec, const std::string& container_path) {
  for (const auto& m : spec["containerEdits"]["mounts"]) {
    if (m["containerPath"] == container_path) return &m;
  }
  return nullptr;
}

TEST(CdiGenerate, NamesEachGpuByIndexAndUuidPlusAllByDefault) {
  json spec = spec_of(test::simulated_host());
  EXPECT_EQ(spec["cdiVersion"], "0.5.0");  // "0" starts with a digit: the minimum podman 4.3 can read
  EXPECT_EQ(spec["kind"], "nvidia.com/gpu");
  EXPECT_THAT(device_names(spec), ElementsAre("0", kUuid0, "all"));
}

TEST(CdiGenerate, GivesEachGpuDeviceItsNodeAsReadFromTheHost) {
  const auto& root = test::simulated_host();
  json spec = spec_of(root);
  EXPECT_EQ(spec["devices"][0]["containerEdits"]["deviceNodes"],
            json::parse(R"([{"path":"/dev/nvidia0","hostPath":")" + root.string() +
                        R"(/dev/nvidia0","major":195,"minor":0,"fileMode":438,"permissions":"rwm"}])"));
}

TEST(CdiGenerate, PutsTheControlNodesInTheCommonEdits) {
  json spec = spec_of(test::simulated_host());
  std::vector<std::string> paths;
  for (const auto& n : spec["containerEdits"]["deviceNodes"]) paths.push_back(n["path"]);
  EXPECT_THAT(paths, ElementsAre("/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidiactl"));
  EXPECT_EQ(spec["containerEdits"]["deviceNodes"][2]["minor"], 255);
}

TEST(CdiGenerate, SetsTheLegacyHookGuardAndTheLibraryDirectory) {
  json spec = spec_of(test::simulated_host());
  EXPECT_EQ(spec["containerEdits"]["env"],
            json::parse(R"(["NVIDIA_CTK_LIBCUDA_DIR=/usr/local/nvidia/lib64","NVIDIA_VISIBLE_DEVICES=void"])"));
}

TEST(CdiGenerate, MountsDriverLibrariesReadOnlyFromTheDriverRootAtTheirRealHostPaths) {
  const auto& root = test::simulated_host();
  json spec = spec_of(root);
  const json* cuda = find_mount(spec, kLib64 + "/libcuda.so.580.159.04");
  ASSERT_NE(cuda, nullptr);
  EXPECT_EQ((*cuda)["hostPath"], root.string() + kLib64 + "/libcuda.so.580.159.04");
  EXPECT_EQ((*cuda)["options"], json::parse(R"(["ro","nosuid","nodev","rbind","rprivate"])"));
  EXPECT_NE(find_mount(spec, "/usr/local/nvidia/bin/nvidia-smi"), nullptr);
  EXPECT_NE(find_mount(spec, "/usr/local/nvidia/firmware/nvidia/580.159.04/gsp_ga10x.bin"), nullptr);
  EXPECT_NE(find_mount(spec, "/usr/share/glvnd/egl_vendor.d/10_nvidia.json"), nullptr);
  EXPECT_EQ(find_mount(spec, kLib64 + "/libcuda.so.1"), nullptr);  // links are made by the hook, not mounted
}

TEST(CdiGenerate, EmitsTheCommonHooksInTheReferenceOrderEachWithAnExplicitEnv) {
  json spec = spec_of(test::simulated_host(), {"--separate-hooks"});
  const json& edits = spec["containerEdits"];
  EXPECT_THAT(hook_names(edits), ElementsAre("create-symlinks", "enable-cuda-compat", "update-ldcache",
                                             "disable-device-node-modification", "update-application-profile"));
  for (const auto& h : edits["hooks"]) {
    EXPECT_EQ(h["hookName"], "createContainer");
    EXPECT_EQ(h["path"], "/usr/bin/nvidia-cdi-hook");
    EXPECT_EQ(h["env"], json::parse(R"(["NVIDIA_CTK_DEBUG=false"])"));
  }
  EXPECT_EQ(edits["hooks"][1]["args"],
            json::parse(R"(["nvidia-cdi-hook","enable-cuda-compat","--host-driver-version=580.159.04"])"));
  EXPECT_EQ(edits["hooks"][2]["args"],
            json::parse(R"(["nvidia-cdi-hook","update-ldcache","--folder","/usr/local/nvidia/lib64"])"));
}

TEST(CdiGenerate, CreatesSonameAndDevLinksForTheLibraries) {
  json spec = spec_of(test::simulated_host());
  std::vector<std::string> args = spec["containerEdits"]["hooks"][0]["args"];
  EXPECT_THAT(args, ::testing::Contains("libcuda.so.1::" + kLib64 + "/libcuda.so"));
  EXPECT_THAT(args, ::testing::Contains("libcuda.so.580.159.04::" + kLib64 + "/libcuda.so.1"));
  EXPECT_THAT(args, ::testing::Contains("libnvidia-ml.so.1::" + kLib64 + "/libnvidia-ml.so"));
  EXPECT_THAT(args, ::testing::Contains("libGLX_nvidia.so.580.159.04::" + kLib64 + "/libGLX_indirect.so.0"));
}

TEST(CdiGenerate, DisableHookRemovesThatHookOnly) {
  json spec = spec_of(test::simulated_host(), {"--separate-hooks", "--disable-hook", "enable-cuda-compat"});
  EXPECT_THAT(hook_names(spec["containerEdits"]),
              ElementsAre("create-symlinks", "update-ldcache", "disable-device-node-modification",
                          "update-application-profile"));
}

TEST(CdiGenerate, DisableHookAllLeavesNoHooksKey) {
  json spec = spec_of(test::simulated_host(), {"--disable-hook", "all"});
  EXPECT_FALSE(spec["containerEdits"].contains("hooks"));
}

TEST(CdiGenerate, EnableHookWinsOverDisableAll) {
  json spec = spec_of(test::simulated_host(), {"--disable-hook", "all", "--enable-hook", "update-ldcache"});
  EXPECT_THAT(hook_names(spec["containerEdits"]), ElementsAre("update-ldcache"));
}

TEST(CdiGenerate, EnablingAllHooksIsRejected) {
  auto r = generate(test::simulated_host(), {"--enable-hook", "all"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("enabling all hooks is not supported"));
}

TEST(CdiGenerate, LdconfigPathIsPassedToUpdateLdcache) {
  json spec = spec_of(test::simulated_host(), {"--separate-hooks", "--ldconfig-path", "/sbin/ldconfig.real"});
  EXPECT_EQ(spec["containerEdits"]["hooks"][2]["args"],
            json::parse(R"(["nvidia-cdi-hook","update-ldcache","--ldconfig-path","/sbin/ldconfig.real","--folder",)"
                        R"("/usr/local/nvidia/lib64"])"));
}

TEST(CdiGenerate, ANvidiaCtkHookPathUsesTheHookSubcommandForm) {
  json spec = spec_of(test::simulated_host(), {"--separate-hooks", "--nvidia-cdi-hook-path", "/opt/bin/nvidia-ctk"});
  EXPECT_EQ(spec["containerEdits"]["hooks"][3]["path"], "/opt/bin/nvidia-ctk");
  EXPECT_EQ(spec["containerEdits"]["hooks"][3]["args"],
            json::parse(R"(["nvidia-ctk","hook","disable-device-node-modification"])"));
}

TEST(CdiGenerate, TypeIndexNamesGpusGpuN) {
  json spec = spec_of(test::simulated_host(), {"--device-name-strategy", "type-index"});
  EXPECT_THAT(device_names(spec), ElementsAre("all", "gpu0"));
  EXPECT_EQ(spec["cdiVersion"], "0.5.0");  // no name starts with a digit, but the nodes carry hostPath
}

TEST(CdiGenerate, NoAllDeviceLeavesOnlyTheNamedDevices) {
  json spec = spec_of(test::simulated_host(), {"--no-all-device"});
  EXPECT_THAT(device_names(spec), ElementsAre("0", kUuid0));
}

TEST(CdiGenerate, DeviceIdSelectsOneGpuOfSeveral) {
  json spec = spec_of(test::simulated_host("--gpus 2"), {"--device-id", "1"});
  EXPECT_THAT(device_names(spec), ElementsAre("1", "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3b", "all"));
}

TEST(CdiGenerate, DeviceIdNoneGivesTheEmptyDeviceAndNoAll) {
  json spec = spec_of(test::simulated_host(), {"--device-id", "none"});
  EXPECT_THAT(device_names(spec), ElementsAre("none"));
  EXPECT_EQ(spec["devices"][0]["containerEdits"]["env"], json::parse(R"(["NVCT_EMPTY_DEVICE="])"));
}

TEST(CdiGenerate, AMalformedDeviceIdIsAnError) {
  auto r = generate(test::simulated_host(), {"--device-id", "GPU-xyz"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--device-id GPU-xyz: identifier is not a valid UUID or index"));
}

TEST(CdiGenerate, AnUnknownDeviceIdIsAnError) {
  auto r = generate(test::simulated_host(), {"--device-id", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--device-id 3: no such GPU or MIG device on this host"));
}

TEST(CdiGenerate, MigGpusAreNamedByTheirMigDevicesOnly) {
  json spec = spec_of(test::simulated_host("--gpus 2 --mig --drm"), {"--device-name-strategy", "index"});
  EXPECT_THAT(device_names(spec), ElementsAre("0:0", "0:1", "1:0", "1:1", "all"));
  std::vector<std::string> paths;
  for (const auto& n : spec["devices"][3]["containerEdits"]["deviceNodes"]) paths.push_back(n["path"]);
  EXPECT_THAT(paths, ElementsAre("/dev/nvidia1", "/dev/nvidia-caps/nvidia-cap156", "/dev/nvidia-caps/nvidia-cap157"));
}

TEST(CdiGenerate, DrmNodesComeWithTheirByPathLinkHook) {
  const auto& root = test::simulated_host("--gpus 2 --drm");
  json spec = spec_of(root, {"--device-name-strategy", "index"});
  const json& gpu1 = spec["devices"][1]["containerEdits"];
  std::vector<std::string> paths;
  for (const auto& n : gpu1["deviceNodes"]) paths.push_back(n["path"]);
  EXPECT_THAT(paths, ElementsAre("/dev/nvidia1", "/dev/dri/card2", "/dev/dri/renderD129"));
  EXPECT_EQ(
      gpu1["hooks"][0]["args"],
      json::parse(R"(["nvidia-cdi-hook","create-symlinks","--link","../card2::/dev/dri/by-path/pci-0000:00:07.0-card",)"
                  R"("--link","../renderD129::/dev/dri/by-path/pci-0000:00:07.0-render"])"));
}

TEST(CdiGenerate, VendorAndClassMakeTheKind) {
  json spec = spec_of(test::simulated_host(), {"--vendor", "example.com", "--class", "device"});
  EXPECT_EQ(spec["kind"], "example.com/device");
}

TEST(CdiGenerate, TheVendorCanComeFromTheEnvironment) {
  auto env = kEnv;
  env.push_back("NVIDIA_CTK_CDI_GENERATE_VENDOR=env.example.com");
  auto r = generate(test::simulated_host(), {"--format", "json"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["kind"], "env.example.com/gpu");
}

TEST(CdiGenerate, AnInvalidVendorIsAnError) {
  auto r = generate(test::simulated_host(), {"--vendor", "-bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--vendor: invalid vendor"));
}

TEST(CdiGenerate, WritesYamlToAnOutputPathWithoutExtensionAsDotYamlMode0644) {
  test::TempDir dir;
  auto r = generate(test::simulated_host(), {"--output", (dir / "cdi/nvidia").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  std::string text = test::read_file(dir / "cdi/nvidia.yaml");
  EXPECT_EQ(text.rfind("---\ncdiVersion: 0.5.0\nkind: nvidia.com/gpu\n", 0), 0u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "cdi/nvidia.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(CdiGenerate, AJsonExtensionChoosesJson) {
  test::TempDir dir;
  test::write_file(dir / "nvidia.json", "old");
  ::chmod((dir / "nvidia.json").c_str(), 0600);
  auto r = generate(test::simulated_host(), {"--output", (dir / "nvidia.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(test::read_file(dir / "nvidia.json"))["kind"], "nvidia.com/gpu");
  struct stat st {};
  ::stat((dir / "nvidia.json").c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(CdiGenerate, ARootWithoutADriverFailsNamingWhatIsMissing) {
  test::TempDir dir;
  fs::create_directories(dir / "proc/driver/nvidia/gpus");
  auto r = generate(dir.path(), {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("no NVIDIA driver found under driver root " + dir.path().string()));
  EXPECT_EQ(r.out, "");
}

}  // namespace
TEST(CdiGenerate, ByDefaultTheCommonHooksAreOneHookProcess) {
  json spec = spec_of(test::simulated_host());
  ASSERT_EQ(spec["containerEdits"]["hooks"].size(), 1u);
  std::vector<std::string> args = spec["containerEdits"]["hooks"][0]["args"];
  EXPECT_EQ(std::count(args.begin(), args.end(), "--"), 4);
  EXPECT_EQ(args.front(), "nvidia-cdi-hook");
}

}  // namespace gpuhooks
