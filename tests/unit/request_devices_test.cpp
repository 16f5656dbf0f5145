// Which GPUs a container asks for (nvidia-hooks.md §2.5): the legacy CUDA image, the env rules, swarm-resource
// names, volume-mount requests and the privilege gate; gpu_container is false exactly where the reference's hook
// exits 0 doing nothing.
#include <gtest/gtest.h>

#include <chrono>

#include "common/request/request.h"
#include "support/test_support.h"

using namespace gpuhooks;
using Strings = std::vector<std::string>;

namespace {

oci::ContainerConfig devices_image(std::map<std::string, std::string> env, bool privileged = false) {
  oci::ContainerConfig c;
  c.oci_version = "1.0.2";
  c.env = std::move(env);
  if (privileged) c.bounding_capabilities = {"CAP_SYS_ADMIN"};
  return c;
}

request::Request devices_of(const oci::ContainerConfig& c, const request::RequestOptions& o = {}) {
  return request::read_request(c, o);
}

Strings visible(const std::string& value) {
  return devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", value}})).devices;
}

void add_mount(oci::ContainerConfig& c, const std::string& destination, const std::string& source = "/dev/null") {
  c.mounts.push_back({destination, source, "bind", {"ro", "rbind"}});
}

request::RequestOptions mounts_accepted() {
  request::RequestOptions o;
  o.accept_volume_mounts = true;
  return o;
}

}  // namespace

TEST(RequestDevices, UnsetMeansNoGpuContainer) {
  auto r = devices_of(devices_image({}));
  EXPECT_FALSE(r.gpu_container);
  EXPECT_TRUE(r.devices.empty());
}

TEST(RequestDevices, EmptyMeansNoGpuContainer) {
  EXPECT_FALSE(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", ""}})).gpu_container);
}

TEST(RequestDevices, OnlySeparatorsAndSpacesMeanNoGpuContainer) {
  EXPECT_FALSE(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", " , ,"}})).gpu_container);
}

TEST(RequestDevices, VoidMeansNoGpuContainer) {
  EXPECT_FALSE(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "void"}})).gpu_container);
}

TEST(RequestDevices, VoidAnywhereInTheListWins) {
  EXPECT_FALSE(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "0,all,void"}})).gpu_container);
}

TEST(RequestDevices, AllMeansAll) {
  auto r = devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "all"}}));
  EXPECT_TRUE(r.gpu_container);
  EXPECT_EQ(r.devices, Strings{"all"});
}

TEST(RequestDevices, NoneIsAGpuContainerWithoutDevices) {
  auto r = devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "none"}}));
  EXPECT_TRUE(r.gpu_container);
  EXPECT_EQ(r.devices, Strings{""});
}

TEST(RequestDevices, TheFirstOfAllAndNoneWins) {
  EXPECT_EQ(visible("none,all"), Strings{""});
  EXPECT_EQ(visible("all,none"), Strings{"all"});
  EXPECT_EQ(visible("0,all,1"), Strings{"all"});
}

TEST(RequestDevices, KeywordsAreCaseSensitive) {
  EXPECT_EQ(visible("ALL"), Strings{"ALL"});
  EXPECT_EQ(visible("Void"), Strings{"Void"});
}

TEST(RequestDevices, ItemsAreTrimmedAndEmptyOnesDropped) { EXPECT_EQ(visible(" 0 ,, 1\t,"), (Strings{"0", "1"})); }

TEST(RequestDevices, UnicodeSpacesAreTrimmedAsGoDoes) {
  EXPECT_EQ(visible("\xc2\xa0"
                    "0\xe3\x80\x80,\xe2\x80\x89 1"),
            (Strings{"0", "1"}));
}

TEST(RequestDevices, ValuesPassVerbatimInOrder) {
  EXPECT_EQ(visible("GPU-8f6b,1,0:1,MIG-4c2e,MIG-GPU-8f6b/1/0"),
            (Strings{"GPU-8f6b", "1", "0:1", "MIG-4c2e", "MIG-GPU-8f6b/1/0"}));
}

// The reference turns "0,0" into ["", "0"] (--device=,0); we keep the first of each repeat instead.
TEST(RequestDevices, RepeatsAreDroppedInsteadOfTheReferencesHoles) {
  EXPECT_EQ(visible("0,0"), Strings{"0"});
  EXPECT_EQ(visible("1,0,1, 0"), (Strings{"1", "0"}));
}

// A hostile image may list millions of items; repeats are found with a set, not by rescanning the list.
TEST(RequestDevices, AHugeListIsReadInLinearTime) {
  std::string value;
  for (int i = 0; i < 300000; ++i) value += std::to_string(i % 150000) + ",";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(visible(value).size(), 150000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RequestDevices, ALegacyCudaImageDefaultsToAll) {
  auto r = devices_of(devices_image({{"CUDA_VERSION", "9.0.176"}}));
  EXPECT_TRUE(r.legacy_image);
  EXPECT_TRUE(r.gpu_container);
  EXPECT_EQ(r.devices, Strings{"all"});
}

TEST(RequestDevices, ALegacyImageWithEmptyVisibleDevicesIsNoGpuContainer) {
  EXPECT_FALSE(devices_of(devices_image({{"CUDA_VERSION", "9.0"}, {"NVIDIA_VISIBLE_DEVICES", ""}})).gpu_container);
}

TEST(RequestDevices, RequireCudaMakesAnImageNotLegacy) {
  auto r = devices_of(devices_image({{"CUDA_VERSION", "12.4.1"}, {"NVIDIA_REQUIRE_CUDA", "cuda>=12.4"}}));
  EXPECT_FALSE(r.legacy_image);
  EXPECT_FALSE(r.gpu_container);
}

TEST(RequestDevices, AnEmptyRequireCudaKeepsTheImageLegacy) {
  EXPECT_TRUE(devices_of(devices_image({{"CUDA_VERSION", "9.0"}, {"NVIDIA_REQUIRE_CUDA", ""}})).legacy_image);
  EXPECT_FALSE(devices_of(devices_image({{"CUDA_VERSION", ""}})).legacy_image);
}

TEST(RequestDevices, SwarmResourceNamesArePreferred) {
  request::RequestOptions o;
  o.swarm_resource = {"DOCKER_RESOURCE_GPU"};
  auto c = devices_image({{"DOCKER_RESOURCE_GPU", "1"}, {"NVIDIA_VISIBLE_DEVICES", "0"}});
  EXPECT_EQ(devices_of(c, o).devices, Strings{"1"});
}

TEST(RequestDevices, ASwarmResourceSetButEmptyStillHidesVisibleDevices) {
  request::RequestOptions o;
  o.swarm_resource = {"DOCKER_RESOURCE_GPU"};
  EXPECT_FALSE(
      devices_of(devices_image({{"DOCKER_RESOURCE_GPU", ""}, {"NVIDIA_VISIBLE_DEVICES", "0"}}), o).gpu_container);
}

TEST(RequestDevices, SwarmResourceValuesAreJoinedInConfigOrder) {
  request::RequestOptions o;
  o.swarm_resource = {"R_B", " R_A ", "R_UNSET"};
  EXPECT_EQ(devices_of(devices_image({{"R_A", "2,3"}, {"R_B", "1"}}), o).devices, (Strings{"1", "2", "3"}));
}

TEST(RequestDevices, UnsetSwarmNamesFallBackToVisibleDevices) {
  request::RequestOptions o;
  o.swarm_resource = {"DOCKER_RESOURCE_GPU"};
  EXPECT_EQ(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "0"}}), o).devices, Strings{"0"});
}

TEST(RequestDevices, EnvRequestsAreHonouredUnprivilegedByDefault) {
  auto r = devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "0"}}));
  EXPECT_FALSE(r.privileged);
  EXPECT_EQ(r.devices, Strings{"0"});
  EXPECT_TRUE(r.warnings.empty());
}

TEST(RequestDevices, UnprivilegedEnvRequestsAreIgnoredWhenNotAccepted) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  auto r = devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "0"}}), o);
  EXPECT_FALSE(r.gpu_container);
  EXPECT_EQ(r.warnings, Strings{"Ignoring devices requested by environment variable(s) in unprivileged container: "
                                "[NVIDIA_VISIBLE_DEVICES]"});
}

TEST(RequestDevices, TheGateWarningNamesTheSwarmVariables) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  o.swarm_resource = {"R_A", "R_B"};
  EXPECT_EQ(devices_of(devices_image({{"R_B", "0"}}), o).warnings,
            Strings{"Ignoring devices requested by environment variable(s) in unprivileged container: [R_A R_B]"});
}

TEST(RequestDevices, TheGateAppliesToALegacyImagesDefault) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  auto r = devices_of(devices_image({{"CUDA_VERSION", "9.0"}}), o);
  EXPECT_FALSE(r.gpu_container);
  EXPECT_EQ(r.warnings.size(), 1u);
}

TEST(RequestDevices, PrivilegedEnvRequestsPassTheGate) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  auto r = devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "0"}}, true), o);
  EXPECT_TRUE(r.privileged);
  EXPECT_EQ(r.devices, Strings{"0"});
}

TEST(RequestDevices, NoRequestNoGateWarning) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  EXPECT_TRUE(devices_of(devices_image({{"NVIDIA_VISIBLE_DEVICES", "void"}}), o).warnings.empty());
}

TEST(RequestDevices, VolumeMountsAreIgnoredUnlessAccepted) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/0");
  EXPECT_FALSE(devices_of(c).gpu_container);
}

TEST(RequestDevices, VolumeMountRequestsWinOverTheEnvironment) {
  auto c = devices_image({{"NVIDIA_VISIBLE_DEVICES", "all"}});
  add_mount(c, "/var/run/nvidia-container-devices/1");
  add_mount(c, "/var/run/nvidia-container-devices/GPU-8f6b");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, (Strings{"1", "GPU-8f6b"}));
}

TEST(RequestDevices, OnlyDevNullMountsCount) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/0", "/dev/zero");
  add_mount(c, "/var/run/nvidia-container-devices/1", "/dev//./null/");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, Strings{"1"});
}

TEST(RequestDevices, MountDestinationsAreCleanedAndCountOnce) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/0/");
  add_mount(c, "/var/run/./nvidia-container-devices//0");
  add_mount(c, "/var/run/x/../nvidia-container-devices/1");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, (Strings{"0", "1"}));
}

TEST(RequestDevices, TheMountRootIsAPlainStringPrefix) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devicesX/0");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, Strings{"X/0"});
}

TEST(RequestDevices, MountItemsKeepInnerSlashesAndSkipTheRootItself) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices");
  add_mount(c, "/var/run/nvidia-container-devices/GPU0-MIG0/0/1");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, Strings{"GPU0-MIG0/0/1"});
}

TEST(RequestDevices, CdiMountPathsBecomeQualifiedNames) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/cdi/nvidia.com/gpu/0");
  add_mount(c, "/var/run/nvidia-container-devices/cdi/nvidia.com/gpu=all");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, (Strings{"nvidia.com/gpu=0", "nvidia.com/gpu=all"}));
}

TEST(RequestDevices, BothCdiMountFormsOfOneDeviceCountOnce) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/cdi/nvidia.com/gpu/0");
  add_mount(c, "/var/run/nvidia-container-devices/cdi/nvidia.com/gpu=0");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, Strings{"nvidia.com/gpu=0"});
}

TEST(RequestDevices, InvalidCdiMountNamesAreWarnedAndIgnored) {
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/cdi/nvidia.com/gpu");
  add_mount(c, "/var/run/nvidia-container-devices/cdi/1nvidia.com/gpu=0");
  add_mount(c, "/var/run/nvidia-container-devices/2");
  auto r = devices_of(c, mounts_accepted());
  EXPECT_EQ(r.devices, Strings{"2"});
  EXPECT_EQ(r.warnings, (Strings{"Ignoring invalid mount request for CDI device \"cdi/nvidia.com/gpu\": "
                                 "invalid CDI device name \"nvidia.com/gpu\"",
                                 "Ignoring invalid mount request for CDI device \"cdi/1nvidia.com/gpu=0\": "
                                 "invalid CDI device name \"1nvidia.com/gpu=0\""}));
}

TEST(RequestDevices, ImexMountsAreNotDevicesSoTheEnvironmentDecides) {
  auto c = devices_image({{"NVIDIA_VISIBLE_DEVICES", "3"}});
  add_mount(c, "/var/run/nvidia-container-devices/imex/0");
  EXPECT_EQ(devices_of(c, mounts_accepted()).devices, Strings{"3"});
}

TEST(RequestDevices, MountRequestsNeedNoPrivilege) {
  request::RequestOptions o = mounts_accepted();
  o.accept_envvar_unprivileged = false;
  auto c = devices_image({});
  add_mount(c, "/var/run/nvidia-container-devices/0");
  EXPECT_EQ(devices_of(c, o).devices, Strings{"0"});
}

TEST(RequestDevices, NothingElseIsCheckedForANonGpuContainer) {
  auto r = devices_of(devices_image({{"NVIDIA_DRIVER_CAPABILITIES", "bogus"},
                                     {"NVIDIA_MIG_CONFIG_DEVICES", "all"},
                                     {"NVIDIA_REQUIRE_CUDA", "cuda>=99"}}));
  EXPECT_FALSE(r.gpu_container);
  EXPECT_TRUE(r.driver_capabilities.empty());
  EXPECT_TRUE(r.requirements.empty());
}
