// NVIDIA_IMEX_CHANNELS on the legacy path (common/plan/imex_channels.h): the host's channel node is given and allowed;
// a channel the host lacks, or an id that is not a channel number, is an error, never a silent omission.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>

#include "common/error.h"
#include "common/plan/imex_channels.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using ::testing::HasSubstr;

class ImexChannels : public ::testing::Test {
 protected:
  ImexChannels() {
    host_.dev_root = dir_.path();
    std::filesystem::create_directories(dir_ / "dev/nvidia-caps-imex-channels");
    if (::mknod((dir_ / "dev/nvidia-caps-imex-channels/channel3").c_str(), S_IFCHR | 0666, makedev(242, 3)) != 0)
      ADD_FAILURE() << "mknod needs root";
  }
  test::TempDir dir_;
  discovery::HostDiscovery host_;
};

TEST_F(ImexChannels, AChannelTheHostHasIsMountedAndAllowed) {
  Plan plan;
  add_imex_channels(plan, host_, {"3"});
  ASSERT_EQ(plan.device_nodes.size(), 1u);
  EXPECT_EQ(plan.device_nodes[0].path, "/dev/nvidia-caps-imex-channels/channel3");
  EXPECT_EQ(plan.device_nodes[0].host_path, (dir_ / "dev/nvidia-caps-imex-channels/channel3").string());
  EXPECT_EQ(plan.device_nodes[0].major, 242u);
  EXPECT_EQ(plan.device_nodes[0].minor, 3u);
  EXPECT_EQ(plan.cgroup_rules, (std::vector<CgroupRule>{{'c', 242, 3, "rw"}}));
}

TEST_F(ImexChannels, AChannelTheHostLacksIsAnErrorNamingItsNode) {
  Plan plan;
  EXPECT_THAT(
      test::error_of([&] { add_imex_channels(plan, host_, {"4"}); }),
      HasSubstr("IMEX channel 4: no device node " + (dir_ / "dev/nvidia-caps-imex-channels/channel4").string()));
}

TEST_F(ImexChannels, AnIdThatIsNotAChannelNumberNeverNamesAnotherNode) {
  std::filesystem::create_directories(dir_ / "dev/nvidia-caps-imex-channels/channel..");
  ASSERT_EQ(::mknod((dir_ / "dev/sda").c_str(), S_IFCHR | 0600, makedev(8, 0)), 0);
  for (const char* bad : {"../../sda", "/../sda", "-1", "1048576", "3a", "", "00000003x"}) {
    Plan plan;
    EXPECT_THAT(test::error_of([&] { add_imex_channels(plan, host_, {bad}); }), HasSubstr("invalid IMEX channel"))
        << bad;
    EXPECT_TRUE(plan.device_nodes.empty()) << bad;
  }
}

}  // namespace
}  // namespace gpuhooks::plan
