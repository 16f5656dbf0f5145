// Reading spec text into the model (cdi.md §1.1): one reader for YAML and JSON, strict keys, YAML 1.1 scalars,
// Go integer ranges.
#include <gtest/gtest.h>

#include "common/cdi/spec/parse.h"
#include "common/error.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;

namespace {

Spec parse(const std::string& text) { return parse_spec(text, "s.yaml"); }

std::string parse_error(const std::string& text) {
  try {
    parse_spec(text, "s.yaml");
  } catch (const gpuhooks::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A device with `edits` (YAML flow mapping text) under a valid header.
std::string with_device(const std::string& edits, const std::string& name = "dev0") {
  return "cdiVersion: 0.7.0\nkind: vendor.com/gpu\ndevices:\n- name: " + name + "\n  containerEdits: " + edits + "\n";
}

}  // namespace

TEST(CdiParse, ReadsYaml) {
  Spec s = parse(R"(
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: gpu0
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
      hostPath: /dev/nvidia0
containerEdits:
  env: [A=B]
)");
  EXPECT_EQ(s.cdi_version, "0.5.0");
  EXPECT_EQ(s.kind, "nvidia.com/gpu");
  ASSERT_EQ(s.devices.size(), 1u);
  EXPECT_EQ(s.devices[0].name, "gpu0");
  EXPECT_EQ(s.devices[0].edits.device_nodes[0].host_path, "/dev/nvidia0");
  EXPECT_EQ(s.edits.env, (std::vector<std::string>{"A=B"}));
}

TEST(CdiParse, JsonAndYamlOfTheSameSpecGiveTheSameModel) {
  Spec j = parse(R"({"cdiVersion":"0.7.0","kind":"v.com/c","devices":[{"name":"0","containerEdits":
      {"deviceNodes":[{"path":"/dev/x","major":1,"fileMode":420,"uid":0}],"additionalGids":[5],"intelRdt":{}}}]})");
  Spec y =
      parse(with_device("{deviceNodes: [{path: /dev/x, major: 1, fileMode: 0644, uid: 0}], additionalGids: [5], "
                        "intelRdt: {}}",
                        "\"0\""));
  y.kind = "v.com/c";
  EXPECT_EQ(j, y);
}

TEST(CdiParse, TheFileNameDoesNotDecideTheFormat) {
  Spec s = parse_spec("cdiVersion: 0.3.0\nkind: v.com/c\ndevices: []\n", "spec.json");
  EXPECT_EQ(s.kind, "v.com/c");
}

TEST(CdiParse, JsonThatIsOnlyYamlStillLoads) {
  Spec s = parse("{cdiVersion: 0.3.0, kind: v.com/c, devices: [{name: a, containerEdits: {env: [A=1]}}]}");
  EXPECT_EQ(s.devices[0].edits.env[0], "A=1");
}

TEST(CdiParse, UnknownTopLevelKeyIsAnError) {
  EXPECT_EQ(parse_error("cdiVersion: 0.3.0\nxyzzy: garbled\n"),
            "failed to parse CDI Spec \"s.yaml\": unknown field \"xyzzy\"");
}

TEST(CdiParse, UnknownNestedKeyNamesItsField) {
  EXPECT_EQ(parse_error(with_device("{intelRdt: {enableCMT: true}}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.intelRdt: unknown field \"enableCMT\"");
  EXPECT_EQ(parse_error(with_device("{intelRdt: {schema: [a]}}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.intelRdt: unknown field \"schema\"");
}

TEST(CdiParse, DuplicateKeyInYamlIsAnError) {
  EXPECT_EQ(parse_error("kind: a/b\nkind: a/c\n"),
            "failed to parse CDI Spec \"s.yaml\": key \"kind\" already set in map");
}

TEST(CdiParse, DuplicateKeyInJsonIsAnError) {
  EXPECT_EQ(parse_error(R"({"devices":[{"name":"a","name":"b"}]})"),
            "failed to parse CDI Spec \"s.yaml\": devices[0]: key \"name\" already set in map");
}

TEST(CdiParse, KeysThatFoldToTheSameFieldAreDuplicates) {
  EXPECT_EQ(parse_error("kind: a/b\nKind: a/c\n"),
            "failed to parse CDI Spec \"s.yaml\": key \"Kind\" already set in map (as \"kind\")");
}

TEST(CdiParse, KeysMatchFieldsCaseInsensitively) {
  Spec s = parse(
      "CDIVersion: 0.7.0\nKind: v.com/c\nDevices:\n- Name: a\n  ContainerEdits:\n    additionalGIDs: [7]\n"
      "    DeviceNodes: [{PATH: /dev/a}]\n");
  EXPECT_EQ(s.cdi_version, "0.7.0");
  EXPECT_EQ(s.kind, "v.com/c");
  EXPECT_EQ(s.devices[0].edits.additional_gids, (std::vector<uint32_t>{7}));
  EXPECT_EQ(s.devices[0].edits.device_nodes[0].path, "/dev/a");
}

TEST(CdiParse, YamlNumbersAndBooleansBecomeStringsInStringFields) {
  EXPECT_EQ(parse(with_device("{env: [A=1]}", "0")).devices[0].name, "0");
  EXPECT_EQ(parse(with_device("{env: [A=1]}", "yes")).devices[0].name, "true");
  EXPECT_EQ(parse(with_device("{env: [A=1]}", "on")).devices[0].name, "true");
  EXPECT_EQ(parse(with_device("{env: [A=1]}", "01")).devices[0].name, "1");
  EXPECT_EQ(parse(with_device("{env: [A=1]}", "'01'")).devices[0].name, "01");
}

TEST(CdiParse, CdiVersionWrittenAsAFloatLosesItsZero) { EXPECT_EQ(parse("cdiVersion: 1.0\n").cdi_version, "1"); }

TEST(CdiParse, JsonNumbersInStringFieldsAreCoercedToo) {
  EXPECT_EQ(parse(R"({"devices":[{"name":0}]})").devices[0].name, "0");
  EXPECT_EQ(parse(R"({"devices":[{"name":true}]})").devices[0].name, "true");
}

TEST(CdiParse, YamlOctalFileMode) {
  EXPECT_EQ(
      parse(with_device("{deviceNodes: [{path: /dev/a, fileMode: 0644}]}")).devices[0].edits.device_nodes[0].file_mode,
      420u);
  EXPECT_EQ(parse(R"({"devices":[{"containerEdits":{"deviceNodes":[{"path":"/a","fileMode":384}]}}]})")
                .devices[0]
                .edits.device_nodes[0]
                .file_mode,
            384u);
}

TEST(CdiParse, NegativeMajorMinorDecode) {
  auto n = parse(with_device("{deviceNodes: [{path: /dev/a, major: -1, minor: -2}]}")).devices[0].edits.device_nodes[0];
  EXPECT_EQ(n.major, -1);
  EXPECT_EQ(n.minor, -2);
}

TEST(CdiParse, Uint32FieldsRejectNegativeValues) {
  EXPECT_EQ(parse_error(with_device("{deviceNodes: [{path: /dev/a, uid: -1}]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[0].uid: value -1 is out of "
            "range for uint32");
}

TEST(CdiParse, Uint32FieldsRejectValuesAbove32Bits) {
  EXPECT_EQ(parse(with_device("{deviceNodes: [{path: /a, gid: 4294967295}]}")).devices[0].edits.device_nodes[0].gid,
            4294967295u);
  EXPECT_EQ(parse_error(with_device("{additionalGids: [1, 4294967296]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.additionalGids[1]: value 4294967296 is "
            "out of range for uint32");
}

TEST(CdiParse, Int64FieldsRejectValuesAbove64Bits) {
  EXPECT_EQ(parse_error(with_device("{deviceNodes: [{path: /a, major: 9223372036854775808}]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[0].major: value "
            "9223372036854775808 is out of range for int64");
}

TEST(CdiParse, IntegerFieldsRejectStringsAndFractions) {
  EXPECT_EQ(parse_error(with_device("{deviceNodes: [{path: /a, major: \"1\"}]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[0].major: expected an integer "
            "(int64), got string \"1\"");
  EXPECT_EQ(parse_error(with_device("{deviceNodes: [{path: /a, minor: 1.5}]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.deviceNodes[0].minor: expected an integer "
            "(int64), got number 1.5");
  EXPECT_EQ(parse(with_device("{deviceNodes: [{path: /a, minor: 2.0}]}")).devices[0].edits.device_nodes[0].minor, 2);
}

TEST(CdiParse, HookTimeoutMayBeZeroOrNegative) {
  auto h = parse(with_device("{hooks: [{hookName: poststop, path: /x, timeout: -5}]}")).devices[0].edits.hooks[0];
  EXPECT_EQ(h.timeout, -5);
}

TEST(CdiParse, BooleanFieldTakesYamlBooleansOnly) {
  EXPECT_TRUE(parse(with_device("{intelRdt: {enableMonitoring: yes}}")).devices[0].edits.intel_rdt->enable_monitoring);
  EXPECT_EQ(parse_error(with_device("{intelRdt: {enableMonitoring: \"true\"}}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.intelRdt.enableMonitoring: expected a "
            "boolean, got string \"true\"");
}

TEST(CdiParse, EmptyInputHasNoSpecData) {
  EXPECT_EQ(parse_error(""), "failed to parse CDI Spec \"s.yaml\", no Spec data");
  EXPECT_EQ(parse_error("# only a comment\n"), "failed to parse CDI Spec \"s.yaml\", no Spec data");
  EXPECT_EQ(parse_error("null"), "failed to parse CDI Spec \"s.yaml\", no Spec data");
}

TEST(CdiParse, EmptyObjectIsAZeroSpec) { EXPECT_EQ(parse("{}"), Spec{}); }

TEST(CdiParse, ContainerEditsAsAnArrayIsAnError) {
  EXPECT_EQ(parse_error("containerEdits: [{env: [A=B]}]\n"),
            "failed to parse CDI Spec \"s.yaml\": containerEdits: expected a mapping, got a sequence");
}

TEST(CdiParse, TopLevelMustBeAMapping) {
  EXPECT_EQ(parse_error("- a\n- b\n"), "failed to parse CDI Spec \"s.yaml\": expected a mapping, got a sequence");
}

TEST(CdiParse, NullContainerEditsAreEmpty) { EXPECT_TRUE(parse(with_device("null")).devices[0].edits.empty()); }

TEST(CdiParse, EmptySchemataIsKeptApartFromAbsent) {
  auto a = parse(with_device("{intelRdt: {schemata: []}}")).devices[0].edits.intel_rdt;
  auto b = parse(with_device("{intelRdt: {schemata: null}}")).devices[0].edits.intel_rdt;
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->schemata.has_value());
  EXPECT_FALSE(b->schemata.has_value());
}

TEST(CdiParse, EmptyIntelRdtObjectIsPresent) {
  EXPECT_TRUE(parse(with_device("{intelRdt: {}}")).devices[0].edits.intel_rdt.has_value());
  EXPECT_FALSE(parse(with_device("{intelRdt: null}")).devices[0].edits.intel_rdt.has_value());
}

TEST(CdiParse, AnnotationValuesAreCoercedAndMustBeScalars) {
  EXPECT_EQ(parse("annotations: {a: 1, yes: x}\n").annotations,
            (std::map<std::string, std::string>{{"a", "1"}, {"true", "x"}}));
  EXPECT_EQ(parse_error("annotations: {a: [1]}\n"),
            "failed to parse CDI Spec \"s.yaml\": annotations.a: expected a string, got a sequence");
}

TEST(CdiParse, AnchorsAndAliasesAreExpanded) {
  Spec s = parse(
      "cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n- name: a\n  containerEdits: &e {env: [A=1]}\n"
      "- name: b\n  containerEdits: *e\n");
  EXPECT_EQ(s.devices[1].edits, s.devices[0].edits);
}

TEST(CdiParse, YamlSyntaxErrorNamesLineAndColumn) {
  EXPECT_EQ(parse_error("devices: [a\nkind: x\n"),
            "failed to parse CDI Spec \"s.yaml\": yaml: line 2, column 5: did not find expected ',' or ']' "
            "(while parsing a flow sequence at line 1, column 10)");
}

TEST(CdiParse, NullListEntryIsAnError) {
  EXPECT_EQ(parse_error(with_device("{mounts: [null]}")),
            "failed to parse CDI Spec \"s.yaml\": devices[0].containerEdits.mounts[0]: expected a mapping, got null");
}

TEST(CdiParse, ReadSpecFileReportsMissingFiles) {
  try {
    read_spec_file("/nonexistent/x.yaml");
    FAIL();
  } catch (const gpuhooks::Error& e) {
    EXPECT_STREQ(e.what(), "failed to read CDI Spec \"/nonexistent/x.yaml\": No such file or directory");
  }
}

TEST(CdiParse, ReadSpecFileParsesWithThePathInErrors) {
  gpuhooks::test::TempDir dir;
  gpuhooks::test::write_file(dir / "a.json", "kind: [\n");
  try {
    read_spec_file((dir / "a.json").string());
    FAIL();
  } catch (const gpuhooks::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("failed to parse CDI Spec \"" + (dir / "a.json").string() + "\": yaml: ", 0),
              0u)
        << e.what();
  }
}
