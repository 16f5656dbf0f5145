// Driver version and UUID parsing (nvidia-hooks.md §3.2 "Driver version"; gpu-host-h100.md §4 for the exact text).
#include <gtest/gtest.h>

#include "common/discovery/driver_version.h"
#include "common/discovery/proc_gpus.h"
#include "support/test_support.h"

namespace gpuhooks::discovery {
namespace {

TEST(DriverVersion, ReadsTheOpenKernelModuleLineOfTheReferenceHost) {
  EXPECT_EQ(parse_proc_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  "
                               "(nixbld@)  \nGCC version:  gcc version 15.3.0 (GCC) \n"),
            "580.159.04");
}

TEST(DriverVersion, ReadsTheProprietaryKernelModuleLine) {
  EXPECT_EQ(parse_proc_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC "
                               "2024\nGCC version:  gcc version 12.3.0\n"),
            "550.54.14");
}

TEST(DriverVersion, RejectsTextThatIsNotAnNvrmVersionLine) {
  EXPECT_EQ(parse_proc_version(""), std::nullopt);
  EXPECT_EQ(parse_proc_version("GCC version:  gcc version 15.3.0 (GCC)\n"), std::nullopt);
  EXPECT_EQ(parse_proc_version("NVRM version: NVIDIA UNIX Kernel Module  unknown\n"), std::nullopt);
}

TEST(DriverVersion, TakesTheVersionFromAVersionedLibraryName) {
  EXPECT_EQ(version_from_library_name("libcuda.so.580.159.04", "libcuda.so"), "580.159.04");
  EXPECT_EQ(version_from_library_name("libnvidia-ml.so.999.88.77", "libnvidia-ml.so"), "999.88.77");
}

TEST(DriverVersion, DoesNotTakeASonameForAVersion) {
  EXPECT_EQ(version_from_library_name("libcuda.so.1", "libcuda.so"), std::nullopt);
  EXPECT_EQ(version_from_library_name("libcuda.so", "libcuda.so"), std::nullopt);
  EXPECT_EQ(version_from_library_name("libcudadebugger.so.580.159.04", "libcuda.so"), std::nullopt);
  EXPECT_EQ(version_from_library_name("libcuda.so.580.x.04", "libcuda.so"), std::nullopt);
}

TEST(DriverVersion, WritesNvmlCudaVersionsAsMajorDotMinor) {
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_EQ(cuda_version_string(11080), "11.8");
}

TEST(DeviceUuid, AcceptsGpuAndMigUuids) {
  EXPECT_TRUE(is_device_uuid("GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a"));
  EXPECT_TRUE(is_device_uuid("MIG-1C0C5193-5D3C-5B1E-9F8A-2082E5DE7B3A"));
}

TEST(DeviceUuid, RejectsMalformedUuids) {
  EXPECT_FALSE(is_device_uuid("GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3"));  // short last group
  EXPECT_FALSE(is_device_uuid("GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3ag"));
  EXPECT_FALSE(is_device_uuid("GPU-c0c5192ca02a-5644-bcac-2082e5de7b3a0"));  // missing dash
  EXPECT_FALSE(is_device_uuid("XYZ-c0c5192c-a02a-5644-bcac-2082e5de7b3a"));
  EXPECT_FALSE(is_device_uuid("c0c5192c-a02a-5644-bcac-2082e5de7b3a"));
  EXPECT_FALSE(is_device_uuid("GPU-g0c5192c-a02a-5644-bcac-2082e5de7b3a"));
}

TEST(DriverVersion, TheVersionFileIsReadOnlyAsFarAsTheModuleEverWritesIt) {
  test::TempDir dir;
  const auto file = dir.path() / "version";
  EXPECT_EQ(read_proc_version_file(file), std::nullopt);  // no module loaded: nothing to compare with
  test::write_file(file, "NVRM version: NVIDIA UNIX Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n" +
                             std::string(1 << 20, 'x'));
  auto text = read_proc_version_file(file);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), 4096u);
  EXPECT_EQ(parse_proc_version(*text), "550.54.14");
}

}  // namespace
}  // namespace gpuhooks::discovery
