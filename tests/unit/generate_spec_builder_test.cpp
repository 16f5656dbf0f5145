// `gpuhooks cdi generate`'s decision (common/generate/spec_builder.h), handed a discovered host directly: which
// devices the spec names, what every container of the spec gets, and which hooks it runs (nvidia-hooks.md §3.1-3.3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "common/generate/spec_builder.h"
#include "support/test_support.h"

namespace gpuhooks {
namespace {

using discovery::DriverFile;
using generate::build_spec;
using generate::GenerateOptions;
using test::error_of;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A host with two GPUs, the second in MIG mode with one MIG device, and one driver file of each kind. The dev root
// holds only the GPUs' and the MIG device's nodes (the builder looks them up; tests run as root).
class SpecBuilder : public ::testing::Test {
 protected:
  SpecBuilder() {
    host.driver_root = dir.path();
    host.dev_root = dir.path();
    host.driver_version = "580.159.04";
    host.gpus = {{0, 0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", "0000:00:06.0", "NVIDIA H100", false, {}},
                 {1,
                  1,
                  "GPU-bbbbbbbb-0000-0000-0000-000000000000",
                  "0000:00:07.0",
                  "NVIDIA H100",
                  true,
                  {{0, 1, 0, "MIG-cccccccc-0000-0000-0000-000000000000", "", 3, 4}}}};
    host.control_nodes = {
        {"/dev/nvidiactl", dir.path().string() + "/dev/nvidiactl", 195, 255, 0666, 0, 0},
        {"/dev/nvidia-caps/nvidia-cap1", dir.path().string() + "/dev/nvidia-caps/nvidia-cap1", 241, 1, 0440, 0, 44}};
    auto file = [&](DriverFile::Kind kind, const std::string& path) {
      return DriverFile{kind, discovery::Capability::kCompute, path, dir.path().string() + path, ""};
    };
    host.files.files = {file(DriverFile::Kind::kLibrary, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04"),
                        file(DriverFile::Kind::kLibrary32, "/usr/lib/i386-linux-gnu/libcuda.so.580.159.04"),
                        file(DriverFile::Kind::kBinary, "/usr/bin/nvidia-smi"),
                        file(DriverFile::Kind::kIpcSocket, "/run/nvidia-persistenced/socket")};
    host.library_links = {{"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so"}};
    for (auto [path, major, minor] : {std::tuple{"dev/nvidia0", 195u, 0u},
                                      {"dev/nvidia1", 195u, 1u},
                                      {"dev/nvidia-caps/nvidia-cap3", 241u, 3u},
                                      {"dev/nvidia-caps/nvidia-cap4", 241u, 4u}}) {
      std::filesystem::create_directories((dir.path() / path).parent_path());
      if (::mknod((dir.path() / path).c_str(), S_IFCHR | 0666, makedev(major, minor)) != 0) ADD_FAILURE() << path;
    }
  }

  static std::vector<std::string> names(const cdi::Spec& spec) {
    std::vector<std::string> out;
    for (const auto& d : spec.devices) out.push_back(d.name);
    return out;
  }
  static std::vector<std::string> hook_names(const cdi::ContainerEdits& edits) {
    std::vector<std::string> out;
    for (const auto& h : edits.hooks) out.push_back(h.args.at(1));
    return out;
  }
  static const cdi::Mount* mount(const cdi::Spec& spec, const std::string& path) {
    for (const auto& m : spec.edits.mounts)
      if (m.container_path == path) return &m;
    return nullptr;
  }

  // One hook per subcommand, as NVIDIA's nvidia-cdi-hook needs them: the form whose hooks the rules below name.
  static GenerateOptions separate() {
    GenerateOptions o;
    o.separate_hooks = true;
    return o;
  }

  test::TempDir dir;
  discovery::HostDiscovery host;
};

TEST_F(SpecBuilder, EachGpuAndMigDeviceIsNamedByEveryStrategyAndAllNamesThemAll) {
  EXPECT_THAT(names(build_spec(host, {})), ElementsAre("0", "1:0", "GPU-aaaaaaaa-0000-0000-0000-000000000000",
                                                       "MIG-cccccccc-0000-0000-0000-000000000000", "all"));
}

TEST_F(SpecBuilder, AMigEnabledGpuIsNoDeviceOfItsOwn) {
  auto n = names(build_spec(host, {}));
  EXPECT_EQ(std::count(n.begin(), n.end(), "1"), 0);
  EXPECT_EQ(std::count(n.begin(), n.end(), "GPU-bbbbbbbb-0000-0000-0000-000000000000"), 0);
}

TEST_F(SpecBuilder, TheTypeIndexStrategyNamesGpusAndMigDevicesApart) {
  GenerateOptions o;
  o.device_name_strategies = {"type-index"};
  EXPECT_THAT(names(build_spec(host, o)), ElementsAre("all", "gpu0", "mig1:0"));
}

TEST_F(SpecBuilder, DeviceIdsSelectDevicesByIndexOrUuid) {
  GenerateOptions o;
  o.device_ids = {"MIG-cccccccc-0000-0000-0000-000000000000"};
  EXPECT_THAT(names(build_spec(host, o)), ElementsAre("1:0", "MIG-cccccccc-0000-0000-0000-000000000000", "all"));
}

TEST_F(SpecBuilder, AnUnknownDeviceIdIsAnError) {
  GenerateOptions o;
  o.device_ids = {"7"};
  EXPECT_EQ(error_of([&] { build_spec(host, o); }), "--device-id 7: no such GPU or MIG device on this host");
}

TEST_F(SpecBuilder, NoneGivesAnEmptyDeviceAndNoAllDevice) {
  GenerateOptions o;
  o.device_ids = {"none"};
  cdi::Spec spec = build_spec(host, o);
  EXPECT_THAT(names(spec), ElementsAre("none"));
  EXPECT_THAT(spec.devices[0].edits.env, ElementsAre("NVCT_EMPTY_DEVICE="));
}

TEST_F(SpecBuilder, NoAllDeviceLeavesAllOut) {
  GenerateOptions o;
  o.no_all_device = true;
  EXPECT_THAT(names(build_spec(host, o)), ElementsAre("0", "1:0", "GPU-aaaaaaaa-0000-0000-0000-000000000000",
                                                      "MIG-cccccccc-0000-0000-0000-000000000000"));
}

TEST_F(SpecBuilder, AGpuDeviceHasItsNodeAndAMigDeviceItsParentsNodeAndItsCapabilityNodes) {
  cdi::Spec spec = build_spec(host, {});
  auto paths = [&](const std::string& name) {
    std::vector<std::string> out;
    for (const auto& d : spec.devices)
      if (d.name == name)
        for (const auto& n : d.edits.device_nodes) out.push_back(n.path);
    return out;
  };
  EXPECT_THAT(paths("0"), ElementsAre("/dev/nvidia0"));
  EXPECT_THAT(paths("1:0"),
              ElementsAre("/dev/nvidia1", "/dev/nvidia-caps/nvidia-cap3", "/dev/nvidia-caps/nvidia-cap4"));
  EXPECT_THAT(paths("all"), ElementsAre("/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia-caps/nvidia-cap3",
                                        "/dev/nvidia-caps/nvidia-cap4"));
}

TEST_F(SpecBuilder, TheKindIsVendorSlashClass) {
  GenerateOptions o;
  o.vendor = "example.com";
  o.class_name = "accel";
  EXPECT_EQ(build_spec(host, o).kind, "example.com/accel");
}

TEST_F(SpecBuilder, InvalidOptionsAreRejectedBeforeAnythingIsBuilt) {
  GenerateOptions o;
  o.device_name_strategies = {"name"};
  EXPECT_EQ(error_of([&] { build_spec(host, o); }), "invalid device name strategy: name (index, uuid or type-index)");
}

TEST_F(SpecBuilder, EveryContainerGetsTheControlNodesAndTheGroupOfAGroupOnlyNode) {
  cdi::Spec spec = build_spec(host, {});
  ASSERT_EQ(spec.edits.device_nodes.size(), 2u);
  EXPECT_EQ(spec.edits.device_nodes[0].path, "/dev/nvidiactl");
  EXPECT_EQ(spec.edits.device_nodes[1].path, "/dev/nvidia-caps/nvidia-cap1");
  EXPECT_THAT(spec.edits.additional_gids, ElementsAre(44u));
}

TEST_F(SpecBuilder, DriverFilesAreMountedReadOnlyAndSocketsWritableButNotExecutable) {
  cdi::Spec spec = build_spec(host, {});
  const cdi::Mount* lib = mount(spec, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04");
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->host_path, dir.path().string() + "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04");
  EXPECT_THAT(lib->options, ElementsAre("ro", "nosuid", "nodev", "rbind", "rprivate"));
  const cdi::Mount* socket = mount(spec, "/run/nvidia-persistenced/socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_THAT(socket->options, ElementsAre("nosuid", "nodev", "rbind", "rprivate", "noexec"));
}

TEST_F(SpecBuilder, CompatLibrariesAreNotMounted) {
  EXPECT_EQ(mount(build_spec(host, {}), "/usr/lib/i386-linux-gnu/libcuda.so.580.159.04"), nullptr);
}

TEST_F(SpecBuilder, TheEnvNamesTheLibraryDirAndStopsALegacyHookFromActingAgain) {
  EXPECT_THAT(build_spec(host, {}).edits.env,
              ElementsAre("NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu", "NVIDIA_VISIBLE_DEVICES=void"));
}

TEST_F(SpecBuilder, TheHooksRunInTheReferenceOrderWithTheirArguments) {
  cdi::Spec spec = build_spec(host, separate());
  EXPECT_THAT(hook_names(spec.edits), ElementsAre("create-symlinks", "enable-cuda-compat", "update-ldcache",
                                                  "disable-device-node-modification", "update-application-profile"));
  for (const auto& h : spec.edits.hooks) {
    EXPECT_EQ(h.hook_name, "createContainer");
    EXPECT_EQ(h.path, "/usr/bin/nvidia-cdi-hook");
    EXPECT_THAT(h.env, ElementsAre("NVIDIA_CTK_DEBUG=false"));  // never the container's environment
  }
  EXPECT_THAT(spec.edits.hooks[0].args, ElementsAre("nvidia-cdi-hook", "create-symlinks", "--link",
                                                    "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"));
  EXPECT_THAT(spec.edits.hooks[1].args,
              ElementsAre("nvidia-cdi-hook", "enable-cuda-compat", "--host-driver-version=580.159.04"));
  EXPECT_THAT(spec.edits.hooks[2].args,
              ElementsAre("nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"));
}

TEST_F(SpecBuilder, TheLdconfigPathIsPassedToUpdateLdcache) {
  GenerateOptions o = separate();
  o.ldconfig_path = "/sbin/ldconfig.real";
  EXPECT_THAT(build_spec(host, o).edits.hooks[2].args,
              ElementsAre("nvidia-cdi-hook", "update-ldcache", "--ldconfig-path", "/sbin/ldconfig.real", "--folder",
                          "/usr/lib/x86_64-linux-gnu"));
}

TEST_F(SpecBuilder, AHookPathNamedNvidiaCtkGetsTheHookSubcommand) {
  GenerateOptions o = separate();
  o.hook_path = "/usr/bin/nvidia-ctk";
  EXPECT_THAT(build_spec(host, o).edits.hooks[4].args, ElementsAre("nvidia-ctk", "hook", "update-application-profile"));
}

TEST_F(SpecBuilder, DisabledHooksAreLeftOutAndChmodOnlyRunsWhenEnabled) {
  GenerateOptions o = separate();
  o.disabled_hooks = {"all"};
  EXPECT_THAT(build_spec(host, o).edits.hooks, IsEmpty());
  o.disabled_hooks = {"update-ldcache"};
  EXPECT_THAT(hook_names(build_spec(host, o).edits),
              ElementsAre("create-symlinks", "enable-cuda-compat", "disable-device-node-modification",
                          "update-application-profile"));
}

TEST_F(SpecBuilder, AWildcardDriverVersionGetsNoCudaCompatHook) {
  host.driver_version = "*.*";
  auto hooks = hook_names(build_spec(host, separate()).edits);
  EXPECT_EQ(std::count(hooks.begin(), hooks.end(), "enable-cuda-compat"), 0);
}

TEST_F(SpecBuilder, AHostWithoutLibrariesGetsNoLdcacheHookAndNoLibraryDir) {
  host.files.files.clear();
  host.library_links.clear();
  cdi::Spec spec = build_spec(host, separate());
  EXPECT_THAT(hook_names(spec.edits),
              ElementsAre("enable-cuda-compat", "disable-device-node-modification", "update-application-profile"));
  EXPECT_THAT(spec.edits.env, ElementsAre("NVIDIA_VISIBLE_DEVICES=void"));
}

TEST_F(SpecBuilder, ByDefaultOurHooksRunAsOneProcessInTheReferenceOrder) {
  cdi::Spec spec = build_spec(host, {});
  ASSERT_EQ(spec.edits.hooks.size(), 1u);
  EXPECT_THAT(
      spec.edits.hooks[0].args,
      ElementsAre("nvidia-cdi-hook", "create-symlinks", "--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so",
                  "--", "enable-cuda-compat", "--host-driver-version=580.159.04", "--", "update-ldcache", "--folder",
                  "/usr/lib/x86_64-linux-gnu", "--", "disable-device-node-modification", "--",
                  "update-application-profile"));
  EXPECT_THAT(spec.edits.hooks[0].env, ElementsAre("NVIDIA_CTK_DEBUG=false"));
}

TEST_F(SpecBuilder, TheOneHookOfNvidiaCtkKeepsItsHookSubcommandOnce) {
  GenerateOptions o;
  o.hook_path = "/usr/bin/nvidia-ctk";
  o.disabled_hooks = {"create-symlinks", "enable-cuda-compat", "update-ldcache"};
  EXPECT_THAT(
      build_spec(host, o).edits.hooks[0].args,
      ElementsAre("nvidia-ctk", "hook", "disable-device-node-modification", "--", "update-application-profile"));
}

}  // namespace
}  // namespace gpuhooks
