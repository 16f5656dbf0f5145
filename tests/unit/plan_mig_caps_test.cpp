// NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES on the legacy path (common/plan/mig_caps.h): the driver's
// capabilities, the /dev/nvidia-caps directory and the capability minors of the selected GPUs, and only for "all".
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/plan/mig_caps.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using ::testing::HasSubstr;

// Two GPUs (minors 0 and 1), the capability files and nodes of gpu-host-h100.md §4, GPU 1 with one MIG device.
class MigCaps : public ::testing::Test {
 protected:
  MigCaps() {
    host_.driver_root = dir_ / "driver";
    host_.dev_root = dir_ / "driver";
    test::write_file(host_.driver_root / "proc/driver/nvidia/capabilities/mig/config",
                     "DeviceFileMinor: 1\nDeviceFileMode: 256\nDeviceFileModify: 1\n");
    test::write_file(host_.driver_root / "proc/driver/nvidia/capabilities/mig/monitor",
                     "DeviceFileMinor: 2\nDeviceFileMode: 292\nDeviceFileModify: 1\n");
    test::write_file(host_.driver_root / "proc/driver/nvidia-caps/mig-minors",
                     "config 1\nmonitor 2\ngpu0/gi0/access 3\ngpu0/gi0/ci0/access 4\ngpu1/gi0/access 138\n"
                     "gpu1/gi1/access 147\ngpu1/gi1/ci0/access 148\ngpu10/gi0/access 1353\n");
    std::filesystem::create_directories(host_.dev_root / "dev/nvidia-caps");
    for (unsigned minor : {1u, 2u})
      if (::mknod((host_.dev_root / ("dev/nvidia-caps/nvidia-cap" + std::to_string(minor))).c_str(), S_IFCHR | 0400,
                  makedev(241, minor)) != 0)
        ADD_FAILURE() << "mknod needs root";
    for (unsigned i : {0u, 1u}) {
      discovery::Gpu g;
      g.index = g.minor = i;
      g.uuid = "GPU-" + std::to_string(i);
      host_.gpus.push_back(g);
    }
    host_.gpus[1].mig_enabled = true;
    host_.gpus[1].migs.push_back({0, 1, 0, "MIG-1", "", 147, 148});
  }
  std::vector<unsigned> allowed_minors(const Plan& plan) {
    std::vector<unsigned> out;
    for (const auto& r : plan.cgroup_rules) {
      EXPECT_EQ(r.major, 241u);
      out.push_back(r.minor);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  test::TempDir dir_;
  discovery::HostDiscovery host_;
};

TEST_F(MigCaps, NoRequestChangesNothing) {
  Plan plan;
  add_mig_caps(plan, host_, {"all"}, {});
  EXPECT_EQ(plan, Plan{});
}

TEST_F(MigCaps, ConfigAllGivesTheCapabilitiesTheCapsDirectoryAndTheSelectedGpusMinors) {
  Plan plan;
  add_mig_caps(plan, host_, {"0"}, {"all", std::nullopt});
  // The config node, and every minor of gpu0 (never gpu1's, nor gpu10's, whose name begins the same way).
  EXPECT_EQ(allowed_minors(plan), (std::vector<unsigned>{1, 3, 4}));
  ASSERT_EQ(plan.mounts.size(), 2u);
  EXPECT_EQ(plan.mounts[0], (Mount{(host_.driver_root / "proc/driver/nvidia/capabilities").string(),
                                   "/proc/driver/nvidia/capabilities", true, true, false}));
  EXPECT_EQ(plan.mounts[1],
            (Mount{(host_.dev_root / "dev/nvidia-caps").string(), "/dev/nvidia-caps", false, true, true}));
}

TEST_F(MigCaps, MonitorAndConfigOverAllGpusAllowBothNodesOnce) {
  Plan plan;
  add_mig_caps(plan, host_, {"all"}, {"all", "all"});
  EXPECT_EQ(allowed_minors(plan), (std::vector<unsigned>{1, 2, 3, 4, 138, 147, 148}));
  EXPECT_EQ(plan.mounts.size(), 2u);
}

TEST(MigCapsRequest, OnlyAllIsSupported) {
  EXPECT_NO_THROW(check_mig_caps_request({"all", "all"}, {"0", "GPU-1"}));
  EXPECT_THAT(test::error_of([] {
                check_mig_caps_request({"0", std::nullopt}, {"0"});
              }),
              HasSubstr("NVIDIA_MIG_CONFIG_DEVICES=\"0\": only \"all\" is supported"));
  EXPECT_THAT(test::error_of([] {
                check_mig_caps_request({std::nullopt, "GPU-0"}, {"0"});
              }),
              HasSubstr("NVIDIA_MIG_MONITOR_DEVICES=\"GPU-0\": only \"all\" is supported"));
}

TEST(MigCapsRequest, SpecificMigDevicesSelectedAreRefusedByIndexOrUuid) {
  for (const char* id : {"1:0", "MIG-1c0c5192-5d3c-5b1e-9f8a-2082e5de7b3a"})
    EXPECT_THAT(test::error_of([&] {
                  check_mig_caps_request({"all", std::nullopt}, {"0", id});
                }),
                HasSubstr(std::string("cannot enable mig-config with specific MIG devices selected (") + id + ")"));
  EXPECT_NO_THROW(check_mig_caps_request({}, {"1:0"}));
}

TEST_F(MigCaps, AHostWithoutTheCapabilityNodeOrFileIsAnErrorNamingIt) {
  std::filesystem::remove(host_.dev_root / "dev/nvidia-caps/nvidia-cap2");
  Plan plan;
  EXPECT_THAT(test::error_of([&] {
                add_mig_caps(plan, host_, {"0"}, {std::nullopt, "all"});
              }),
              HasSubstr("no device node " + (host_.dev_root / "dev/nvidia-caps/nvidia-cap2").string()));
  std::filesystem::remove(host_.driver_root / "proc/driver/nvidia/capabilities/mig/config");
  EXPECT_THAT(test::error_of([&] {
                add_mig_caps(plan, host_, {"0"}, {"all", std::nullopt});
              }),
              HasSubstr("proc/driver/nvidia/capabilities/mig/config on the host"));
}

}  // namespace
}  // namespace gpuhooks::plan
