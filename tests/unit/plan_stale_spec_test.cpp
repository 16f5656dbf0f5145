// A CDI spec that no longer matches the host is named with the fix, never used silently (common/plan/stale_spec.h):
// a spec generated for another driver version, or naming a GPU UUID the host does not have.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/plan/stale_spec.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kUuid = "GPU-4c8d2f0e-1b7a-4c3e-9f21-6a5b0d9e8c71";
constexpr const char* kGoneUuid = "GPU-00000000-1111-2222-3333-444444444444";

class StaleSpec : public ::testing::Test {
 protected:
  void host_with_driver(const std::string& version) {
    test::write_file(root_ / "proc/driver/nvidia/version",
                     "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  " + version +
                         "  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Oct  1 00:00:00 UTC 2026\n");
    test::write_file(root_ / "proc/driver/nvidia/gpus/0000:00:06.0/information",
                     std::string("Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 40\nGPU UUID: \t ") + kUuid +
                         "\nBus Location: \t 0000:00:06.0\nDevice Minor: \t 0\n");
  }
  void spec(const std::string& generated_for, const std::string& uuid) {
    test::write_file(
        specs_ / "nvidia.yaml",
        "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
        "- name: \"0\"\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia0\n"
        "- name: " +
            uuid +
            "\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia0\n"
            "containerEdits:\n  hooks:\n  - hookName: createContainer\n    path: /usr/bin/nvidia-cdi-hook\n"
            "    args: [nvidia-cdi-hook, enable-cuda-compat, --host-driver-version=" +
            generated_for + "]\n");
  }
  std::vector<std::string> warnings(const std::vector<std::string>& devices) {
    cdi::Registry registry({specs_.path().string()});
    return stale_spec_warnings(registry, devices, root_.path());
  }
  test::TempDir root_, specs_;
};

TEST_F(StaleSpec, ASpecOfTheHostsDriverAndGpusIsCurrent) {
  host_with_driver("580.159.04");
  spec("580.159.04", kUuid);
  EXPECT_THAT(warnings({"nvidia.com/gpu=0"}), IsEmpty());
}

TEST_F(StaleSpec, AnotherDriverVersionIsNamedWithTheFix) {
  host_with_driver("580.159.04");
  spec("550.54.14", kUuid);
  EXPECT_THAT(warnings({"nvidia.com/gpu=0"}),
              ElementsAre("CDI spec " + (specs_ / "nvidia.yaml").string() +
                          " is stale: it was generated for driver 550.54.14 but the host runs 580.159.04; "
                          "regenerate it with: systemctl start gpuhooks-cdi-refresh.service"));
}

TEST_F(StaleSpec, AUuidTheHostNoLongerHasIsNamed) {
  host_with_driver("580.159.04");
  spec("580.159.04", kGoneUuid);
  auto w = warnings({"nvidia.com/gpu=0"});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr(std::string("it names ") + kGoneUuid + ", which the host does not have"));
}

TEST_F(StaleSpec, OneWarningPerSpecHoweverManyOfItsDevicesServe) {
  host_with_driver("580.159.04");
  spec("550.54.14", kUuid);
  EXPECT_EQ(warnings({"nvidia.com/gpu=0", std::string("nvidia.com/gpu=") + kUuid}).size(), 1u);
}

TEST_F(StaleSpec, WithoutALoadedDriverThereIsNothingToCompare) {
  spec("550.54.14", kGoneUuid);
  EXPECT_THAT(warnings({"nvidia.com/gpu=0"}), IsEmpty());
}

}  // namespace
}  // namespace gpuhooks::plan
