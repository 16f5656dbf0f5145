// scripts/simulate-gpu-host: the layout the other tests rely on, and its nvidia-smi behaving like the real one
// (gpu-host-h100.md §2-§5).
#include "discovery_simulated_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>

namespace gpuhooks {
namespace {

namespace fs = std::filesystem;

test::RunResult nvidia_smi(const fs::path& root, const std::vector<std::string>& args, bool with_library_path) {
  std::vector<std::string> argv = {(root / "usr/local/nvidia/bin/nvidia-smi").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
  if (with_library_path) env.push_back("LD_LIBRARY_PATH=" + (root / "usr/local/nvidia/lib64").string());
  return test::run(argv, "", env);
}

TEST(SimulatedHost, NvidiaSmiListsTheGpuExactlyLikeTheReferenceHost) {
  auto r = nvidia_smi(test::simulated_host(), {"-L"}, true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a)\n");
}

TEST(SimulatedHost, NvidiaSmiListsMigDevicesUnderTheirGpu) {
  auto r = nvidia_smi(test::simulated_host("--gpus 2 --mig --drm"), {"-L"}, true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a)\n"
            "  MIG 3g.40gb     Device  0: (UUID: MIG-1c0c5193-5d3c-5b1e-9f8a-2082e5de7b3a)\n"
            "  MIG 3g.40gb     Device  1: (UUID: MIG-1c0c5194-5d3c-5b1e-9f8a-2082e5de7b3a)\n"
            "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3b)\n"
            "  MIG 3g.40gb     Device  0: (UUID: MIG-1c0c51a3-5d3c-5b1e-9f8a-2082e5de7b3a)\n"
            "  MIG 3g.40gb     Device  1: (UUID: MIG-1c0c51a4-5d3c-5b1e-9f8a-2082e5de7b3a)\n");
}

TEST(SimulatedHost, NvidiaSmiPrintsTheDriverAndCudaVersionHeader) {
  auto r = nvidia_smi(test::simulated_host(), {}, true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("NVIDIA-SMI 580.159.04 "));
  EXPECT_THAT(r.out, ::testing::HasSubstr("Driver Version: 580.159.04"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("CUDA Version: 13.0"));
}

TEST(SimulatedHost, NvidiaSmiNeedsTheLoaderToFindNvml) {
  auto r = nvidia_smi(test::simulated_host(), {"-L"}, false);
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_THAT(r.out, ::testing::StartsWith("NVIDIA-SMI couldn't find libnvidia-ml.so library in your system."));
}

TEST(SimulatedHost, NvidiaSmiFindsNoDevicesWithoutTheirNodes) {
  test::TempDir dir;
  test::build_simulated_host(dir / "host");
  fs::remove(dir / "host/dev/nvidia0");
  auto r = nvidia_smi(dir / "host", {"-L"}, true);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.out, "No devices were found\n");
}

TEST(SimulatedHost, NvidiaSmiCannotReachTheDriverWithoutNvidiactl) {
  test::TempDir dir;
  test::build_simulated_host(dir / "host");
  fs::remove(dir / "host/dev/nvidiactl");
  auto r = nvidia_smi(dir / "host", {"-L"}, true);
  EXPECT_EQ(r.exit_code, 9);
  EXPECT_THAT(r.out,
              ::testing::StartsWith("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."));
}

TEST(SimulatedHost, MakesRealCharacterNodesWithTheHostsNumbersAndModes) {
  const auto& root = test::simulated_host();
  struct Node {
    const char* path;
    unsigned major, minor, mode;
  };
  for (const Node& n :
       {Node{"dev/nvidia0", 195, 0, 0666}, Node{"dev/nvidiactl", 195, 255, 0666}, Node{"dev/nvidia-uvm", 238, 0, 0666},
        Node{"dev/nvidia-uvm-tools", 238, 1, 0666}, Node{"dev/nvidia-caps/nvidia-cap1", 241, 1, 0400},
        Node{"dev/nvidia-caps/nvidia-cap2", 241, 2, 0444}}) {
    struct stat st {};
    ASSERT_EQ(::stat((root / n.path).c_str(), &st), 0) << n.path;
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << n.path;
    EXPECT_EQ(::major(st.st_rdev), n.major) << n.path;
    EXPECT_EQ(::minor(st.st_rdev), n.minor) << n.path;
    EXPECT_EQ(st.st_mode & 07777, n.mode) << n.path;
  }
  EXPECT_FALSE(fs::exists(root / "dev/nvidia-modeset"));
  EXPECT_FALSE(fs::exists(root / "dev/dri"));
}

TEST(SimulatedHost, WritesTheProcFilesOfTheReferenceHost) {
  const auto& root = test::simulated_host();
  EXPECT_EQ(test::read_file(root / "proc/driver/nvidia/version"),
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)  \n"
            "GCC version:  gcc version 15.3.0 (GCC) \n");
  EXPECT_THAT(test::read_file(root / "proc/driver/nvidia/params"), ::testing::HasSubstr("\nModifyDeviceFiles: 1\n"));
  EXPECT_THAT(test::read_file(root / "proc/driver/nvidia/gpus/0000:00:06.0/information"),
              ::testing::HasSubstr("GPU UUID: \t GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a\n"));
}

TEST(SimulatedHost, LaysOutTheDriverLibrariesWithTheirSonameAndDevLinks) {
  fs::path lib64 = test::simulated_host() / "usr/local/nvidia/lib64";
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(lib64 / "libcuda.so.580.159.04")));
  EXPECT_EQ(fs::read_symlink(lib64 / "libcuda.so.1"), "libcuda.so.580.159.04");
  EXPECT_EQ(fs::read_symlink(lib64 / "libcuda.so"), "libcuda.so.1");
  EXPECT_EQ(fs::read_symlink(lib64 / "libnvidia-tls.so"), "libnvidia-tls.so.580.159.04");
  EXPECT_FALSE(fs::exists(fs::symlink_status(lib64 / "libnvidia-tls.so.1")));
}

TEST(SimulatedHost, RefusesANonEmptyOutputDirectory) {
  test::TempDir dir;
  test::write_file(dir / "host/x", "x");
  EXPECT_THROW(test::build_simulated_host(dir / "host"), std::runtime_error);
}

}  // namespace
}  // namespace gpuhooks
