// Minimum required version (cdi.md §1.3, §1.5): what each version added decides the lowest cdiVersion a spec may use.
#include <gtest/gtest.h>

#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/version.h"

using namespace gpuhooks::cdi;

namespace {

std::string min_version(const std::string& device_edits, const std::string& extra = "", const std::string& name = "d") {
  return minimum_required_version(
      parse_spec("kind: v.com/c\n" + extra + "devices:\n- name: " + name + "\n  containerEdits: " + device_edits + "\n",
                 "s.yaml"));
}

}  // namespace

TEST(CdiVersion, PlainSpecNeeds030) {
  EXPECT_EQ(min_version("{env: [A=B], mounts: [{hostPath: /a, containerPath: /b}]}"), "0.3.0");
}

TEST(CdiVersion, MountTypeNeeds040) {
  EXPECT_EQ(min_version("{mounts: [{hostPath: /a, containerPath: /b, type: bind}]}"), "0.4.0");
}

TEST(CdiVersion, HostPathNeeds050EvenWhenEqualToPath) {
  EXPECT_EQ(min_version("{deviceNodes: [{path: /dev/a, hostPath: /dev/a}]}"), "0.5.0");
}

TEST(CdiVersion, DeviceNameStartingWithADigitNeeds050) { EXPECT_EQ(min_version("{env: [A=B]}", "", "0"), "0.5.0"); }

TEST(CdiVersion, AnnotationsNeed060) { EXPECT_EQ(min_version("{env: [A=B]}", "annotations: {a: b}\n"), "0.6.0"); }

TEST(CdiVersion, IntelRdtEvenEmptyNeeds070) { EXPECT_EQ(min_version("{intelRdt: {}}"), "0.7.0"); }

TEST(CdiVersion, SpecLevelAdditionalGidsNeed070) {
  EXPECT_EQ(min_version("{env: [A=B]}", "containerEdits: {additionalGids: [4]}\n"), "0.7.0");
}

TEST(CdiVersion, ExplicitEmptySchemataNeeds110ButNullDoesNot) {
  EXPECT_EQ(min_version("{intelRdt: {schemata: []}}"), "1.1.0");
  EXPECT_EQ(min_version("{intelRdt: {schemata: null}}"), "0.7.0");
}

TEST(CdiVersion, EnableMonitoringAndNetDevicesNeed110) {
  EXPECT_EQ(min_version("{intelRdt: {enableMonitoring: true}}"), "1.1.0");
  EXPECT_EQ(min_version("{netDevices: [{hostInterfaceName: a, name: b}]}"), "1.1.0");
}

TEST(CdiVersion, KnownVersionsWithOptionalV) {
  EXPECT_TRUE(is_known_version("0.1.0"));
  EXPECT_TRUE(is_known_version("v1.1.0"));
  EXPECT_FALSE(is_known_version("vv1.1.0"));
  EXPECT_FALSE(is_known_version("1.1"));
  EXPECT_LT(compare_versions("0.8.0", "v1.0.0"), 0);
  EXPECT_EQ(kCurrentVersion, "1.1.0");
}
