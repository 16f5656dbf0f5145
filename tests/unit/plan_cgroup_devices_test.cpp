// Finding a container's device cgroup (common/plan/cgroup_devices.h) from /proc/<pid>/cgroup and mountinfo.
#include <gtest/gtest.h>

#include "common/plan/cgroup_devices.h"
#include "common/plan/cgroup_v2_devices.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using test::error_of;

constexpr const char* kHybridCgroup = "12:devices:/docker/abc\n11:memory:/docker/abc\n0::/docker/abc\n";
constexpr const char* kV1Mounts =
    "30 25 0:26 / /sys/fs/cgroup/devices rw,nosuid - cgroup cgroup rw,devices\n"
    "31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
    "32 25 0:28 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n";

TEST(DevicesCgroup, OnAHybridHostTheDevicesHierarchyRules) {
  DevicesCgroup cg = devices_cgroup(7, kHybridCgroup, kV1Mounts);
  EXPECT_FALSE(cg.unified);
  EXPECT_EQ(cg.dir, "/sys/fs/cgroup/devices/docker/abc");
}

TEST(DevicesCgroup, WhereOnlyCgroup2IsMountedTheUnifiedCgroupRules) {
  DevicesCgroup cg = devices_cgroup(7, kHybridCgroup, "40 1 0:30 / /sys/fs/cgroup rw - cgroup2 none rw\n");
  EXPECT_TRUE(cg.unified);
  EXPECT_EQ(cg.dir, "/sys/fs/cgroup/docker/abc");
}

TEST(DevicesCgroup, AMountedSubtreeIsStrippedFromTheCgroupPath) {
  DevicesCgroup cg =
      devices_cgroup(7, "0::/kubepods/pod1/c1\n", "40 1 0:30 /kubepods /sys/fs/cgroup rw - cgroup2 none rw\n");
  EXPECT_EQ(cg.dir, "/sys/fs/cgroup/pod1/c1");
}

TEST(DevicesCgroup, NoCgroupAtAllIsAnError) {
  EXPECT_EQ(error_of([] { devices_cgroup(7, "", kV1Mounts); }), "no devices or unified cgroup found for process 7");
}

TEST(DevicesCgroup, NoMountedHierarchyIsAnError) {
  EXPECT_EQ(error_of([] { devices_cgroup(7, "0::/x\n", "1 0 0:1 / / rw - ext4 /dev/sda rw\n"); }),
            "no cgroup2 filesystem in /proc/self/mountinfo");
}

TEST(DevicesCgroup, AMountPrefixAboveTheRootIsRefused) {
  EXPECT_EQ(error_of([] { devices_cgroup(7, "0::/x\n", "40 1 0:30 /.. /sys/fs/cgroup rw - cgroup2 none rw\n"); }),
            "relative path in the cgroup mount prefix /..");
}

TEST(DeviceFilter, EachRuleIsEightInstructionsAfterASixInstructionPrologueThenTheTail) {
  std::vector<bpf_insn> tail(3);
  auto p = device_filter({{'c', 195, 0, "rw"}, {'c', 195, 255, "rwm"}}, tail);
  EXPECT_EQ(p.size(), 6u + 2 * 8 + 3);
  EXPECT_EQ(p[6].imm, BPF_DEVCG_DEV_CHAR);
  EXPECT_EQ(p[6].off, 7);  // a mismatch jumps to the next rule
  EXPECT_EQ(p[8].imm, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
  EXPECT_EQ(p[10].imm, 195);
  EXPECT_EQ(p[11].imm, 0);
  EXPECT_EQ(p[16].imm, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
  EXPECT_EQ(p[19].imm, 255);
}

}  // namespace
}  // namespace gpuhooks::plan
