// Whole-host discovery: the NVML path and the /proc fallback against simulated hosts, and a root without a driver.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/discovery/host.h"
#include "common/discovery/nvml.h"
#include "common/error.h"
#include "discovery_simulated_host.h"

namespace gpuhooks::discovery {
namespace {

namespace fs = std::filesystem;

HostDiscovery discover(const fs::path& root, bool use_nvml = true) {
  DiscoveryOptions opts;
  opts.driver_root = root;
  opts.use_nvml = use_nvml;
  return discover_host(opts);
}

// A private copy of a simulated host, for tests that take pieces away.
struct OwnHost {
  OwnHost(const std::string& flags = "") { test::build_simulated_host(root, flags); }
  test::TempDir dir;
  fs::path root = dir / "host";
};

TEST(HostDiscovery, ReadsGpusAndVersionsThroughNvml) {
  const auto& root = test::simulated_host();
  auto host = discover(root);
  EXPECT_EQ(host.gpu_source, GpuSource::kNvml);
  EXPECT_EQ(host.nvml_error, "");
  EXPECT_EQ(host.nvml_library, "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04");
  EXPECT_EQ(host.driver_version, "580.159.04");
  EXPECT_EQ(host.driver_version_source, "/proc/driver/nvidia/version");
  EXPECT_EQ(host.cuda_version, "13.0");
  ASSERT_EQ(host.gpus.size(), 1u);
  EXPECT_EQ(host.gpus[0].uuid, "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a");
  EXPECT_EQ(host.gpus[0].pci_bus_id, "0000:00:06.0");
  EXPECT_EQ(host.gpus[0].model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(host.gpus[0].minor, 0u);
  EXPECT_FALSE(host.gpus[0].mig_enabled);
  EXPECT_EQ(host.dev_root, root);
  // What NVIDIA_REQUIRE_* rules on brand and arch compare with.
  EXPECT_EQ(host.gpus[0].brand, "nvidia");
  EXPECT_EQ(host.gpus[0].compute_capability, "9.0");
}

TEST(HostDiscovery, BrandsAreNamedAsLibnvidiaContainerNamesThemInLowerCase) {
  EXPECT_EQ(brand_name(0), "unknown");
  EXPECT_EQ(brand_name(2), "tesla");
  EXPECT_EQ(brand_name(5), "geforce");
  EXPECT_EQ(brand_name(11), "cloudgaming");
  EXPECT_EQ(brand_name(14), "nvidia");
  EXPECT_EQ(brand_name(16), "titanrtx");
  EXPECT_EQ(brand_name(17), "unknown");
  EXPECT_EQ(brand_name(-1), "unknown");
}

TEST(HostDiscovery, NvmlSeesOnlyGpusWhoseNodesExist) {
  OwnHost own("--gpus 2");
  fs::remove(own.root / "dev/nvidia0");
  auto host = discover(own.root);
  ASSERT_EQ(host.gpus.size(), 1u);
  EXPECT_EQ(host.gpus[0].index, 0u);
  EXPECT_EQ(host.gpus[0].minor, 1u);
  EXPECT_EQ(host.gpus[0].pci_bus_id, "0000:00:07.0");
}

TEST(HostDiscovery, ReadsMigDevicesAndTheirCapabilityMinors) {
  auto host = discover(test::simulated_host("--gpus 2 --mig --drm"));
  ASSERT_EQ(host.gpus.size(), 2u);
  const Gpu& gpu1 = host.gpus[1];
  EXPECT_TRUE(gpu1.mig_enabled);
  ASSERT_EQ(gpu1.migs.size(), 2u);
  EXPECT_EQ(gpu1.migs[1].index, 1u);
  EXPECT_EQ(gpu1.migs[1].gpu_instance, 2u);
  EXPECT_EQ(gpu1.migs[1].compute_instance, 0u);
  EXPECT_EQ(gpu1.migs[1].gi_cap_minor, 3 + 135 + 18);
  EXPECT_EQ(gpu1.migs[1].ci_cap_minor, 4 + 135 + 18);
  EXPECT_EQ(gpu1.migs[1].name, "NVIDIA H100 80GB HBM3 MIG 3g.40gb");
  EXPECT_EQ(gpu1.migs[1].uuid.rfind("MIG-", 0), 0u);
}

TEST(HostDiscovery, FallsBackToProcWhenNvmlFails) {
  ::setenv("SIMGPU_NVML_FAIL", "1", 1);
  auto host = discover(test::simulated_host());
  ::unsetenv("SIMGPU_NVML_FAIL");
  EXPECT_EQ(host.gpu_source, GpuSource::kProcFallback);
  EXPECT_EQ(host.nvml_error, test::simulated_host().string() +
                                 "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04: nvmlInit_v2: Unknown Error");
  ASSERT_EQ(host.gpus.size(), 1u);
  EXPECT_EQ(host.gpus[0].uuid, "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a");
  EXPECT_EQ(host.cuda_version, "");
  EXPECT_EQ(host.gpus[0].brand, "");  // /proc has neither: unknown, and an unknown value holds
  EXPECT_EQ(host.gpus[0].compute_capability, "");
  EXPECT_THAT(host.missing, ::testing::Contains("CUDA driver version (needs NVML)"));
}

TEST(HostDiscovery, FallsBackToProcWhenNvmlIsAbsent) {
  OwnHost own;
  for (const char* name : {"libnvidia-ml.so.1", "libnvidia-ml.so", "libnvidia-ml.so.580.159.04"}) {
    fs::remove(own.root / "usr/local/nvidia/lib64" / name);
    fs::remove(own.root / "usr/lib" / name);
  }
  auto host = discover(own.root);
  EXPECT_EQ(host.gpu_source, GpuSource::kProcFallback);
  EXPECT_EQ(host.nvml_error, "libnvidia-ml.so.1 not found in driver root " + own.root.string());
  ASSERT_EQ(host.gpus.size(), 1u);
  EXPECT_EQ(host.gpus[0].pci_bus_id, "0000:00:06.0");
}

TEST(HostDiscovery, FallsBackToNvmlThenLibrarySuffixForTheVersion) {
  OwnHost own;
  fs::remove(own.root / "proc/driver/nvidia/version");
  EXPECT_EQ(discover(own.root).driver_version_source, "NVML");
  auto host = discover(own.root, /*use_nvml=*/false);
  EXPECT_EQ(host.driver_version, "580.159.04");
  EXPECT_EQ(host.driver_version_source, "libcuda.so.580.159.04");
}

TEST(HostDiscovery, ARootWithoutADriverIsAnErrorNamingWhatWasMissing) {
  test::TempDir dir;
  fs::create_directories(dir / "proc/driver/nvidia/gpus");
  try {
    discover(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no NVIDIA driver found under driver root " + dir.path().string() +
                  ": no /proc/driver/nvidia/version, no working libnvidia-ml.so.1 and no libcuda.so.<version> or "
                  "libnvidia-ml.so.<version> in the library search directories (no /etc/ld.so.cache)");
  }
}

TEST(HostDiscovery, NoNvmlAndNoProcGpusIsAnError) {
  test::TempDir dir;
  test::write_file(dir / "proc/driver/nvidia/version",
                   "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 2024\n");
  try {
    discover(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot list GPUs: NVML: libnvidia-ml.so.1 not found in driver root " +
                                         dir.path().string() +
                                         "; /proc fallback: " + (dir / "proc/driver/nvidia/gpus").string() +
                                         ": cannot list GPUs: No such file or directory");
  }
}

TEST(HostDiscovery, AnEmptyRootIsReportedAsHavingNoDriver) {
  test::TempDir dir;
  try {
    discover(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::StartsWith("no NVIDIA driver found under driver root " +
                                                             dir.path().string() + ": no /proc/driver/nvidia/version"));
  }
}

TEST(HostDiscovery, CollectsLibraryLinksForEveryMountedLibrary) {
  auto host = discover(test::simulated_host());
  const std::string d = "/usr/local/nvidia/lib64";
  EXPECT_THAT(host.library_links,
              ::testing::Contains(std::pair<std::string, std::string>{"libnvidia-ml.so.1", d + "/libnvidia-ml.so"}));
  EXPECT_THAT(host.library_links,
              ::testing::Contains(std::pair<std::string, std::string>{"libcuda.so.1", d + "/libcuda.so"}));
  EXPECT_THAT(host.missing, ::testing::Contains("/dev/nvidia-modeset"));
}

}  // namespace
}  // namespace gpuhooks::discovery
