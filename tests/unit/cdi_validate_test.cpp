// The checks every loaded spec passes (cdi.md §1.2, §2, §3.3): one test per rule, with the reference's texts.
#include <gtest/gtest.h>

#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/spec_annotations.h"
#include "common/cdi/spec/validate.h"
#include "common/error.h"

using namespace gpuhooks::cdi;

namespace {

// Problems of a YAML spec, each described with the file name.
std::vector<std::string> problems(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& p : spec_problems(parse_spec(yaml, "s.yaml"))) out.push_back(describe_problem("s.yaml", p));
  return out;
}

std::vector<std::string> device_problems(const std::string& edits, const std::string& version = "1.1.0") {
  return problems("cdiVersion: " + version + "\nkind: v.com/c\ndevices:\n- name: d\n  containerEdits: " + edits + "\n");
}

using Lines = std::vector<std::string>;

}  // namespace

TEST(CdiValidate, AValidSpecHasNoProblems) {
  EXPECT_EQ(device_problems("{env: [A=B], deviceNodes: [{path: /dev/a, type: c, permissions: rw}]}", "0.3.0"), Lines{});
}

TEST(CdiValidate, UnknownVersions) {
  for (auto v : {"1.2.0", "1.0.1", "1.1", "vv1.1.0", "1.1.0-rc1", "not-a-version"})
    EXPECT_EQ(device_problems("{env: [A=B]}", v),
              Lines{std::string("invalid CDI Spec \"s.yaml\": cdiVersion: invalid version \"") + v + "\""});
  EXPECT_EQ(problems("kind: v.com/c\ndevices: [{name: d, containerEdits: {env: [A=B]}}]\n"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: invalid version \"\""});
}

TEST(CdiValidate, OneLeadingVIsAccepted) { EXPECT_EQ(device_problems("{env: [A=B]}", "v1.1.0"), Lines{}); }

TEST(CdiValidate, PreReleaseVersionsAreKnownButTooOld) {
  EXPECT_EQ(device_problems("{env: [A=B]}", "0.2.0"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: the spec version must be at least v0.3.0"});
}

TEST(CdiValidate, VersionMustCoverTheContent) {
  EXPECT_EQ(device_problems("{deviceNodes: [{path: /a, hostPath: /a}]}", "0.4.0"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: the spec version must be at least v0.5.0"});
  EXPECT_EQ(device_problems("{additionalGids: [1]}", "0.6.0"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: the spec version must be at least v0.7.0"});
  EXPECT_EQ(device_problems("{netDevices: [{hostInterfaceName: eth0, name: e}]}", "1.0.0"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: the spec version must be at least v1.1.0"});
}

TEST(CdiValidate, KindWithoutSlashHasNoVendor) {
  // ParseQualifier gives ("", kind): the vendor is empty and the whole kind is checked as the class.
  EXPECT_EQ(
      problems("cdiVersion: 0.3.0\nkind: vendor1.comdevice\ndevices: [{name: d, containerEdits: {env: [A=B]}}]\n"),
      Lines{"invalid CDI Spec \"s.yaml\": kind: invalid vendor. empty name"});
}

TEST(CdiValidate, KindClassKeepsAnEqualsSign) {
  EXPECT_EQ(
      problems("cdiVersion: 0.3.0\nkind: vendor.com/device=\ndevices: [{name: d, containerEdits: {env: [A=B]}}]\n"),
      Lines{"invalid CDI Spec \"s.yaml\": kind: invalid class. \"device=\", should end with a letter or digit"});
}

TEST(CdiValidate, ADotInTheClassNeedsVersion060) {
  EXPECT_EQ(problems("cdiVersion: 0.5.0\nkind: v.com/a.b\ndevices: [{name: d, containerEdits: {env: [A=B]}}]\n"),
            Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: the spec version must be at least v0.6.0"});
}

TEST(CdiValidate, AtLeastOneDevice) {
  EXPECT_EQ(problems("cdiVersion: 0.3.0\nkind: v.com/c\ndevices: []\n"),
            Lines{"invalid CDI Spec \"s.yaml\": devices: invalid spec, no devices"});
}

TEST(CdiValidate, DeviceNamesAreUnique) {
  EXPECT_EQ(problems("cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n- {name: d, containerEdits: {env: [A=B]}}\n"
                     "- {name: d, containerEdits: {env: [A=C]}}\n"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[1].name: invalid spec, multiple device \"d\""});
}

TEST(CdiValidate, DeviceNameGrammar) {
  EXPECT_EQ(problems("cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: a/b, containerEdits: {env: [A=B]}}]\n"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].name: invalid character '/' in device name \"a/b\""});
}

TEST(CdiValidate, DeviceEditsMustNotBeEmpty) {
  EXPECT_EQ(device_problems("{}"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits: invalid device, empty device edits"});
}

TEST(CdiValidate, SpecLevelEditsDoNotMakeADeviceNonEmpty) {
  EXPECT_EQ(problems("cdiVersion: 0.3.0\nkind: v.com/c\ncontainerEdits: {env: [A=B]}\ndevices: [{name: demo1}]\n"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits: invalid device, empty device edits"});
}

TEST(CdiValidate, AnEmptyIntelRdtObjectCountsAsAnEdit) { EXPECT_EQ(device_problems("{intelRdt: {}}"), Lines{}); }

TEST(CdiValidate, EnvNeedsAKeyBeforeEquals) {
  EXPECT_EQ(device_problems("{env: [FOO=, =x, FOO, '']}"),
            (Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.env[1]: invalid container edits: invalid "
                   "environment variable \"=x\"",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.env[2]: invalid container edits: invalid "
                   "environment variable \"FOO\"",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.env[3]: invalid container edits: invalid "
                   "environment variable \"\""}));
}

TEST(CdiValidate, DeviceNodeNeedsAPath) {
  EXPECT_EQ(
      device_problems("{deviceNodes: [{type: c}]}"),
      Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[0]: invalid (empty) device path"});
}

TEST(CdiValidate, DeviceNodeType) {
  EXPECT_EQ(device_problems("{deviceNodes: [{path: /a, type: u}, {path: /b, type: x}]}"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[1]: device \"/b\": invalid type "
                  "\"x\""});
}

TEST(CdiValidate, DeviceNodePermissions) {
  EXPECT_EQ(device_problems("{deviceNodes: [{path: /a, permissions: mrw}, {path: /b, permissions: rrw}, "
                            "{path: /c, permissions: none}, {path: /d, permissions: rx}]}"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[3]: device \"/d\": invalid "
                  "permissions \"rx\""});
}

TEST(CdiValidate, HookName) {
  EXPECT_EQ(device_problems("{hooks: [{hookName: prestart, path: /x}, {hookName: CreateContainer, path: /x}]}"),
            Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.hooks[1]: invalid hook name "
                  "\"CreateContainer\""});
}

TEST(CdiValidate, HookPathAndEnv) {
  EXPECT_EQ(
      device_problems("{hooks: [{hookName: poststop, path: '', env: [X]}]}"),
      (Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.hooks[0]: invalid hook \"poststop\" with "
             "empty path",
             "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.hooks[0]: invalid hook \"poststop\": invalid "
             "environment variable \"X\""}));
}

TEST(CdiValidate, MountPaths) {
  EXPECT_EQ(device_problems("{mounts: [{hostPath: '', containerPath: /a}, {hostPath: /a, containerPath: ''}]}"),
            (Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.mounts[0]: invalid mount, empty host path",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.mounts[1]: invalid mount, empty container "
                   "path"}));
}

TEST(CdiValidate, TmpfsMountWithARelativeContainerPathIsValid) {
  EXPECT_EQ(device_problems("{mounts: [{hostPath: tmpfs, containerPath: tmp, type: tmpfs, options: [ro, mode=755]}]}",
                            "0.4.0"),
            Lines{});
}

TEST(CdiValidate, ClosId) {
  EXPECT_EQ(device_problems("{intelRdt: {closID: /}}"), Lines{});
  for (auto c : {"'.'", "'..'", "a/b"})
    EXPECT_EQ(device_problems(std::string("{intelRdt: {closID: ") + c + "}}"),
              Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.intelRdt: invalid ClosID"})
        << c;
}

TEST(CdiValidate, NetDevicesNeedBothNames) {
  EXPECT_EQ(device_problems("{netDevices: [{hostInterfaceName: '', name: a}, {hostInterfaceName: b, name: ''}]}"),
            (Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.netDevices[0]: invalid linux net device, "
                   "empty HostInterfaceName",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.netDevices[1]: invalid linux net device, "
                   "empty Name"}));
}

TEST(CdiValidate, NetDeviceDuplicatesWithinOneEditsObject) {
  EXPECT_EQ(device_problems("{netDevices: [{hostInterfaceName: eth0, name: a}, {hostInterfaceName: eth0, name: b}, "
                            "{hostInterfaceName: eth1, name: a}]}"),
            (Lines{"invalid CDI Spec \"s.yaml\": devices[0].containerEdits.netDevices[1]: invalid linux net device, "
                   "duplicate HostInterfaceName \"eth0\" with names \"b\" and \"a\"",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits.netDevices[2]: invalid linux net device, "
                   "duplicate Name \"a\" with HostInterfaceName \"eth1\" and \"eth0\""}));
}

TEST(CdiValidate, SpecLevelEditsAreValidatedToo) {
  EXPECT_EQ(problems("cdiVersion: 0.3.0\nkind: v.com/c\ncontainerEdits: {env: [X]}\ndevices: [{name: d, "
                     "containerEdits: {env: [A=B]}}]\n"),
            Lines{"invalid CDI Spec \"s.yaml\": containerEdits.env[0]: invalid container edits: invalid environment "
                  "variable \"X\""});
}

TEST(CdiValidate, EveryProblemIsListedInTheReferenceOrder) {
  EXPECT_EQ(problems("cdiVersion: 9.9.9\nkind: /c\ndevices:\n- {name: _a, containerEdits: {}}\n"),
            (Lines{"invalid CDI Spec \"s.yaml\": cdiVersion: invalid version \"9.9.9\"",
                   "invalid CDI Spec \"s.yaml\": kind: invalid vendor. empty name",
                   "invalid CDI Spec \"s.yaml\": kind: invalid class. \"/c\", should start with letter",
                   "invalid CDI Spec \"s.yaml\": devices[0].name: invalid class \"_a\", should start with a letter or "
                   "digit",
                   "invalid CDI Spec \"s.yaml\": devices[0].containerEdits: invalid device, empty device edits"}));
}

TEST(CdiValidate, ValidateSpecThrowsTheFirstProblem) {
  Spec s;
  s.cdi_version = "0.3.0";
  s.kind = "v.com/c";
  try {
    validate_spec(s);
    FAIL();
  } catch (const gpuhooks::Error& e) {
    EXPECT_STREQ(e.what(), "invalid CDI Spec: devices: invalid spec, no devices");
  }
}

TEST(CdiValidate, AnnotationKeysAreNotCheckedWhenLoading) {
  EXPECT_EQ(problems("cdiVersion: 0.6.0\nkind: v.com/c\nannotations: {'!!': v, '': x}\n"
                     "devices: [{name: d, containerEdits: {env: [A=B]}}]\n"),
            Lines{});
}

TEST(CdiValidate, AnnotationKeyRulesForTheValidateCommand) {
  Spec s = parse_spec(
      "annotations: {Vendor.com/Ok: x, '!!': v, UPPER.Com/a: b, -x.com/a: c, a/b/c: d}\n"
      "devices: [{name: d, annotations: {good-key_1.x: v, '': e}}]\n",
      "s.yaml");
  std::vector<std::string> lines;
  for (const auto& p : annotation_problems(s)) lines.push_back(p.field + ": " + p.message);
  EXPECT_EQ(lines,
            (Lines{"annotations.!!: invalid annotation key \"!!\": name must be 1-63 characters of [A-Za-z0-9-_.], "
                   "starting and ending alphanumeric",
                   "annotations.-x.com/a: invalid annotation key \"-x.com/a\": prefix must be a DNS subdomain of at "
                   "most 253 characters",
                   "annotations.a/b/c: invalid annotation key \"a/b/c\": at most one '/' allowed",
                   "devices[0].annotations.: invalid annotation key \"\": name must be 1-63 characters of "
                   "[A-Za-z0-9-_.], starting and ending alphanumeric"}));
}
