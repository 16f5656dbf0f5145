// Device nodes read from the node itself (gpu-host-h100.md §3 values on the simulated host).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/discovery/device_nodes.h"
#include "common/error.h"
#include "discovery_simulated_host.h"

namespace gpuhooks::discovery {
namespace {

namespace fs = std::filesystem;

Gpu gpu_at(unsigned index) {
  Gpu g;
  g.index = index;
  g.minor = index;
  g.uuid = "GPU-x";
  g.pci_bus_id = index == 0 ? "0000:00:06.0" : "0000:00:07.0";
  return g;
}

TEST(DeviceNodes, ReadsMajorMinorModeAndOwnerFromTheNode) {
  const auto& root = test::simulated_host();
  auto ctl = find_char_device(root, "/dev/nvidiactl");
  ASSERT_TRUE(ctl.has_value());
  EXPECT_EQ(*ctl, (DeviceNode{"/dev/nvidiactl", (root / "dev/nvidiactl").string(), 195, 255, 0666, 0, 0}));
  auto cap1 = find_char_device(root, "/dev/nvidia-caps/nvidia-cap1");
  ASSERT_TRUE(cap1.has_value());
  EXPECT_EQ(cap1->major, 241u);
  EXPECT_EQ(cap1->mode, 0400u);
}

TEST(DeviceNodes, IgnoresPathsThatAreNotCharacterDevices) {
  const auto& root = test::simulated_host();
  EXPECT_FALSE(find_char_device(root, "/dev/nvidia-caps").has_value());
  EXPECT_FALSE(find_char_device(root, "/dev/nvidia-modeset").has_value());
  EXPECT_FALSE(find_char_device(root, "/proc/driver/nvidia/version").has_value());
}

TEST(DeviceNodes, ListsTheControlNodesThatExistAndReportsTheOthers) {
  std::vector<std::string> missing;
  auto nodes = find_control_nodes(test::simulated_host(), &missing);
  std::vector<std::string> paths;
  for (const auto& n : nodes) paths.push_back(n.path);
  EXPECT_THAT(paths, ::testing::ElementsAre("/dev/nvidia-uvm-tools", "/dev/nvidia-uvm", "/dev/nvidiactl"));
  EXPECT_EQ(nodes[1].major, 238u);
  EXPECT_EQ(nodes[0].minor, 1u);
  EXPECT_EQ(missing, std::vector<std::string>{"/dev/nvidia-modeset"});
}

TEST(DeviceNodes, AGpuWithoutDrmHasOnlyItsNvidiaNode) {
  auto nodes = find_gpu_nodes(test::simulated_host(), gpu_at(0));
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].path, "/dev/nvidia0");
  EXPECT_EQ(nodes[0].major, 195u);
  EXPECT_EQ(nodes[0].minor, 0u);
}

TEST(DeviceNodes, AGpuWithDrmAddsItsCardAndRenderNodesByBusId) {
  auto nodes = find_gpu_nodes(test::simulated_host("--gpus 2 --mig --drm"), gpu_at(1));
  std::vector<std::string> paths;
  for (const auto& n : nodes) paths.push_back(n.path);
  EXPECT_THAT(paths, ::testing::ElementsAre("/dev/nvidia1", "/dev/dri/card2", "/dev/dri/renderD129"));
  EXPECT_EQ(nodes[2].major, 226u);
  EXPECT_EQ(nodes[2].minor, 129u);
}

TEST(DeviceNodes, ReadsTheDrmByPathLinkTargetsFromTheHost) {
  auto links = find_drm_by_path_links(test::simulated_host("--gpus 2 --mig --drm"), gpu_at(0));
  EXPECT_THAT(links,
              ::testing::ElementsAre(
                  std::pair<std::string, std::string>{"../card1", "/dev/dri/by-path/pci-0000:00:06.0-card"},
                  std::pair<std::string, std::string>{"../renderD128", "/dev/dri/by-path/pci-0000:00:06.0-render"}));
  EXPECT_TRUE(find_drm_by_path_links(test::simulated_host(), gpu_at(0)).empty());
}

TEST(DeviceNodes, AMissingGpuNodeIsAnErrorNamingIt) {
  const auto& root = test::simulated_host();
  try {
    find_gpu_nodes(root, gpu_at(3));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "GPU 3 (GPU-x): device node " + (root / "dev/nvidia3").string() +
                                         " is missing or not a character device");
  }
}

TEST(DeviceNodes, AMigDeviceHasItsParentAndItsTwoAccessCapabilityNodes) {
  MigDevice mig;
  mig.uuid = "MIG-x";
  mig.gpu_instance = 1;
  mig.gi_cap_minor = 12;
  mig.ci_cap_minor = 13;
  auto nodes = find_mig_nodes(test::simulated_host("--gpus 2 --mig --drm"), gpu_at(0), mig);
  std::vector<std::string> paths;
  for (const auto& n : nodes) paths.push_back(n.path);
  EXPECT_THAT(paths,
              ::testing::ElementsAre("/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap12", "/dev/nvidia-caps/nvidia-cap13"));
  EXPECT_EQ(nodes[1].major, 241u);
  EXPECT_EQ(nodes[1].mode, 0444u);
}

TEST(DeviceNodes, AMigDeviceWithoutACapabilityMinorIsAnError) {
  MigDevice mig;
  mig.uuid = "MIG-x";
  mig.gpu_instance = 5;
  try {
    find_mig_nodes(test::simulated_host("--gpus 2 --mig --drm"), gpu_at(0), mig);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "MIG device MIG-x: no capability minor in /proc/driver/nvidia-caps/mig-minors for GPU 0 GI 5 CI 0");
  }
}

}  // namespace
}  // namespace gpuhooks::discovery
