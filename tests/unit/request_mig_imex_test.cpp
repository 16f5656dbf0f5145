// MIG configuration and monitoring requests and IMEX channels (nvidia-hooks.md §2.8).
#include <gtest/gtest.h>

#include "common/request/request.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;
using Strings = std::vector<std::string>;

namespace {

// A GPU container (NVIDIA_VISIBLE_DEVICES=0) with `env` added.
oci::ContainerConfig mig_imex_image(std::map<std::string, std::string> env, bool privileged = false) {
  oci::ContainerConfig c;
  c.oci_version = "1.0.2";
  c.env = std::move(env);
  c.env.emplace("NVIDIA_VISIBLE_DEVICES", "0");
  if (privileged) c.bounding_capabilities = {"CAP_SYS_ADMIN"};
  return c;
}

Strings channels_of(std::map<std::string, std::string> env, const request::RequestOptions& o = {}) {
  return request::read_request(mig_imex_image(std::move(env)), o).imex_channels;
}

}  // namespace

TEST(RequestMig, ConfigDevicesInAnUnprivilegedContainerAreAnError) {
  EXPECT_EQ(error_of([] {
              request::read_request(mig_imex_image({{"NVIDIA_MIG_CONFIG_DEVICES", "all"}}), {});
            }),
            "cannot set MIG_CONFIG_DEVICES in non privileged container");
}

TEST(RequestMig, MonitorDevicesInAnUnprivilegedContainerAreAnError) {
  EXPECT_EQ(error_of([] {
              request::read_request(mig_imex_image({{"NVIDIA_MIG_MONITOR_DEVICES", "0"}}), {});
            }),
            "cannot set MIG_MONITOR_DEVICES in non privileged container");
}

TEST(RequestMig, EmptyValuesAreNoRequest) {
  auto r = request::read_request(
      mig_imex_image({{"NVIDIA_MIG_CONFIG_DEVICES", ""}, {"NVIDIA_MIG_MONITOR_DEVICES", ""}}), {});
  EXPECT_EQ(r.mig_config_devices, std::nullopt);
  EXPECT_EQ(r.mig_monitor_devices, std::nullopt);
}

TEST(RequestMig, APrivilegedContainerGetsTheValuesVerbatim) {
  auto r = request::read_request(
      mig_imex_image({{"NVIDIA_MIG_CONFIG_DEVICES", "all"}, {"NVIDIA_MIG_MONITOR_DEVICES", " 0,1 "}}, true), {});
  EXPECT_EQ(r.mig_config_devices, "all");
  EXPECT_EQ(r.mig_monitor_devices, " 0,1 ");
}

TEST(RequestImex, EnvChannelsAreReadLikeDevices) {
  EXPECT_EQ(channels_of({{"NVIDIA_IMEX_CHANNELS", " 0, 1,0"}}), (Strings{"0", "1"}));
}

TEST(RequestImex, UnsetOrVoidMeansNoChannels) {
  EXPECT_TRUE(channels_of({}).empty());
  EXPECT_TRUE(channels_of({{"NVIDIA_IMEX_CHANNELS", "void"}}).empty());
}

TEST(RequestImex, AllIsIgnored) { EXPECT_TRUE(channels_of({{"NVIDIA_IMEX_CHANNELS", "all"}}).empty()); }

TEST(RequestImex, ALegacyImagesDefaultAllIsIgnored) { EXPECT_TRUE(channels_of({{"CUDA_VERSION", "9.0"}}).empty()); }

// The reference keeps [""] here, which gives no --imex-channel; an empty list says the same plainly.
TEST(RequestImex, NoneMeansNoChannels) { EXPECT_TRUE(channels_of({{"NVIDIA_IMEX_CHANNELS", "none"}}).empty()); }

TEST(RequestImex, TheIgnoreOptionDropsEveryRequest) {
  request::RequestOptions o;
  o.ignore_imex_channel_requests = true;
  o.accept_volume_mounts = true;
  auto c = mig_imex_image({{"NVIDIA_IMEX_CHANNELS", "0"}});
  c.mounts.push_back({"/var/run/nvidia-container-devices/imex/1", "/dev/null", "bind", {}});
  EXPECT_TRUE(request::read_request(c, o).imex_channels.empty());
}

TEST(RequestImex, MountChannelsWinWhenMountsAreAccepted) {
  request::RequestOptions o;
  o.accept_volume_mounts = true;
  auto c = mig_imex_image({{"NVIDIA_IMEX_CHANNELS", "0"}});
  c.mounts.push_back({"/var/run/nvidia-container-devices/imex/1", "/dev/null", "bind", {}});
  c.mounts.push_back({"/var/run/nvidia-container-devices/imex/2/", "/dev/null", "bind", {}});
  EXPECT_EQ(request::read_request(c, o).imex_channels, (Strings{"1", "2"}));
  o.accept_volume_mounts = false;
  EXPECT_EQ(request::read_request(c, o).imex_channels, Strings{"0"});
}

TEST(RequestImex, UnprivilegedEnvChannelsAreIgnoredWhenNotAccepted) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  auto c = mig_imex_image({{"NVIDIA_IMEX_CHANNELS", "0"}}, false);
  c.mounts.push_back({"/var/run/nvidia-container-devices/0", "/dev/null", "bind", {}});
  o.accept_volume_mounts = true;
  auto r = request::read_request(c, o);
  EXPECT_TRUE(r.imex_channels.empty());
  EXPECT_EQ(r.warnings,
            Strings{"Ignoring request by environment variable(s) in unprivileged container: [NVIDIA_IMEX_CHANNELS]"});
}

TEST(RequestImex, PrivilegedEnvChannelsPassTheGate) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  EXPECT_EQ(request::read_request(mig_imex_image({{"NVIDIA_IMEX_CHANNELS", "3"}}, true), o).imex_channels,
            Strings{"3"});
}
