// The /proc fallback: information files (exact text of gpu-host-h100.md §4) and mig-minors.
#include <gtest/gtest.h>

#include "common/discovery/proc_gpus.h"
#include "common/error.h"
#include "discovery_simulated_host.h"

namespace gpuhooks::discovery {
namespace {

const char* kH100Information =
    "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 41\nGPU UUID: \t GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a\n"
    "Video BIOS: \t 96.00.da.00.0c\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\n"
    "Bus Location: \t 0000:00:06.0\nDevice Minor: \t 0\nGPU Firmware: \t 580.159.04\nGPU Excluded:\t No\n";

std::string error_of(std::string_view text) {
  try {
    parse_gpu_information(text, "/p/information");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ProcGpus, ReadsModelUuidBusAndMinorFromAnInformationFile) {
  Gpu gpu = parse_gpu_information(kH100Information, "info");
  EXPECT_EQ(gpu.model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpu.uuid, "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a");
  EXPECT_EQ(gpu.pci_bus_id, "0000:00:06.0");
  EXPECT_EQ(gpu.minor, 0u);
  EXPECT_FALSE(gpu.mig_enabled);
}

TEST(ProcGpus, NamesTheFileAndFieldThatIsMissing) {
  EXPECT_EQ(error_of("Model: \t\t X\nGPU UUID: \t GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a\nDevice Minor: \t 0\n"),
            "/p/information: no \"Bus Location\" field");
}

TEST(ProcGpus, RejectsANonNumericMinor) {
  std::string text = kH100Information;
  text.replace(text.find("Device Minor: \t 0"), 17, "Device Minor: \t x");
  EXPECT_EQ(error_of(text), "/p/information: \"Device Minor\" is not a number: x");
}

TEST(ProcGpus, RejectsAMalformedUuid) {
  std::string text = kH100Information;
  text.replace(text.find("GPU-c0c5"), 8, "GPU-zzzz");
  EXPECT_EQ(error_of(text), "/p/information: \"GPU UUID\" is not a GPU UUID: GPU-zzzz192c-a02a-5644-bcac-2082e5de7b3a");
}

TEST(ProcGpus, ListsEveryGpuOfASimulatedHostInBusOrder) {
  auto gpus = read_proc_gpus(test::simulated_host("--gpus 2 --mig --drm") / "proc/driver/nvidia");
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].index, 0u);
  EXPECT_EQ(gpus[0].pci_bus_id, "0000:00:06.0");
  EXPECT_EQ(gpus[0].uuid, "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a");
  EXPECT_EQ(gpus[1].index, 1u);
  EXPECT_EQ(gpus[1].minor, 1u);
  EXPECT_EQ(gpus[1].pci_bus_id, "0000:00:07.0");
  EXPECT_EQ(gpus[1].uuid, "GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3b");
}

TEST(ProcGpus, ReportsAMissingGpusDirectory) {
  test::TempDir dir;
  try {
    read_proc_gpus(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "gpus").string() + ": cannot list GPUs: No such file or directory");
  }
}

TEST(MigMinors, MapsEachCapabilityToItsMinor) {
  auto minors = parse_mig_minors("config 1\nmonitor 2\ngpu0/gi0/access 3\ngpu0/gi0/ci0/access 4\n", "m");
  EXPECT_EQ(minors.size(), 4u);
  EXPECT_EQ(minors.at("gpu0/gi0/ci0/access"), 4);
  EXPECT_EQ(minors.at("monitor"), 2);
}

TEST(MigMinors, FollowsTheReferenceFormulaOnTheSimulatedHost) {
  auto minors = parse_mig_minors(test::read_file(test::simulated_host() / "proc/driver/nvidia-caps/mig-minors"), "m");
  EXPECT_EQ(minors.size(), 4322u);
  EXPECT_EQ(minors.at("gpu0/gi14/access"), 129);
  EXPECT_EQ(minors.at("gpu0/gi14/ci7/access"), 137);
  EXPECT_EQ(minors.at("gpu1/gi0/ci0/access"), 139);
  EXPECT_EQ(minors.at("gpu31/gi14/ci7/access"), 4322);
}

TEST(MigMinors, NamesAMalformedLine) {
  try {
    parse_mig_minors("config 1\nmonitor two\n", "/p/mig-minors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/p/mig-minors:2: not \"<name> <minor>\": monitor two");
  }
}

}  // namespace
}  // namespace gpuhooks::discovery
