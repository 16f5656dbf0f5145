// Writing specs (write.h): YAML and JSON that read back to the same model, with YAML 1.1-ambiguous strings quoted.
#include <gtest/gtest.h>

#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/version.h"
#include "common/cdi/spec/write.h"

using namespace gpuhooks::cdi;

namespace {

Spec full_spec() {
  Spec s;
  s.cdi_version = "1.1.0";
  s.kind = "nvidia.com/gpu";
  s.annotations = {{"a.b/c", "yes"}, {"k", "0644"}};
  Device d;
  d.name = "0";
  d.annotations = {{"x", "1.0"}};
  d.edits.env = {"NVIDIA_VISIBLE_DEVICES=void", "EMPTY="};
  d.edits.device_nodes.push_back({"/dev/nvidia0", "/host/dev/nvidia0", "c", 195, 0, 0666, "rw", 0, 44});
  d.edits.net_devices.push_back({"eth0", "net0"});
  d.edits.hooks.push_back({"createContainer",
                           "/usr/bin/nvidia-cdi-hook",
                           {"nvidia-cdi-hook", "create-symlinks", "--link", "a::b"},
                           {"X=\"q\"\t"},
                           0});
  d.edits.mounts.push_back({"/usr/lib/libcuda.so.1", "/usr/lib/libcuda.so.1", {"ro", "nosuid", "bind"}, "bind"});
  d.edits.intel_rdt = IntelRdt{"clos", "L3:0=f", "MB:0=100", std::vector<std::string>{}, true};
  d.edits.additional_gids = {0, 44};
  s.devices.push_back(d);
  Device e;
  e.name = "yes";
  e.edits.intel_rdt = IntelRdt{};
  s.devices.push_back(e);
  s.edits.env = {"A=B"};
  s.edits.hooks.push_back({"poststop", "/bin/true", {}, {}, -3});
  return s;
}

}  // namespace

TEST(CdiWrite, YamlReadsBackToTheSameModel) {
  Spec s = full_spec();
  EXPECT_EQ(parse_spec(serialize(s, Format::kYaml), "w.yaml"), s);
}

TEST(CdiWrite, JsonReadsBackToTheSameModel) {
  Spec s = full_spec();
  EXPECT_EQ(parse_spec(serialize(s, Format::kJson), "w.json"), s);
}

TEST(CdiWrite, ControlCharactersAndUtf8InStringsReadBackAsWritten) {
  Spec s = full_spec();
  s.devices[0].edits.env = {std::string("A=\a\b\f\v\x01\x1b\x7f\n\r\t\"\\ caf\xc3\xa9 \xe2\x82\xac")};
  EXPECT_EQ(parse_spec(serialize(s, Format::kYaml), "s.yaml"), s);
}

TEST(CdiWrite, YamlLayout) {
  Spec s;
  s.cdi_version = "0.5.0";
  s.kind = "nvidia.com/gpu";
  Device d;
  d.name = "0";
  d.edits.device_nodes.push_back({"/dev/nvidia0"});
  d.edits.env = {"on=1"};
  s.devices.push_back(d);
  s.edits.mounts.push_back({"/a", "/b", {"ro"}, ""});
  EXPECT_EQ(serialize(s, Format::kYaml),
            "---\n"
            "cdiVersion: 0.5.0\n"
            "kind: nvidia.com/gpu\n"
            "devices:\n"
            "- name: \"0\"\n"
            "  containerEdits:\n"
            "    env:\n"
            "    - on=1\n"
            "    deviceNodes:\n"
            "    - path: /dev/nvidia0\n"
            "containerEdits:\n"
            "  mounts:\n"
            "  - hostPath: /a\n"
            "    containerPath: /b\n"
            "    options:\n"
            "    - ro\n");
}

TEST(CdiWrite, AmbiguousScalarsAreQuoted) {
  Spec s;
  s.cdi_version = "1.0";
  s.kind = "yes";
  Device d;
  d.name = "01";
  d.edits.intel_rdt = IntelRdt{};
  s.devices.push_back(d);
  std::string y = serialize(s, Format::kYaml);
  EXPECT_NE(y.find("cdiVersion: \"1.0\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("kind: \"yes\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("- name: \"01\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("    intelRdt: {}\n"), std::string::npos) << y;
}

TEST(CdiWrite, JsonLayout) {
  Spec s;
  s.cdi_version = "0.3.0";
  s.kind = "v.com/c";
  Device d;
  d.name = "a";
  d.edits.env = {"A=1"};
  s.devices.push_back(d);
  EXPECT_EQ(
      serialize(s, Format::kJson),
      "{\n  \"cdiVersion\": \"0.3.0\",\n  \"kind\": \"v.com/c\",\n  \"devices\": [\n    {\n      \"name\": \"a\",\n"
      "      \"containerEdits\": {\n        \"env\": [\n          \"A=1\"\n        ]\n      }\n    }\n  ]\n}\n");
}

TEST(CdiWrite, EmptyDeviceListAndEmptyEditsAreWritten) {
  Spec s;
  s.cdi_version = "0.3.0";
  s.kind = "v.com/c";
  EXPECT_EQ(serialize(s, Format::kYaml), "---\ncdiVersion: 0.3.0\nkind: v.com/c\ndevices: []\n");
  EXPECT_EQ(parse_spec(serialize(s, Format::kYaml), "x"), s);
}

TEST(CdiWrite, TheWrittenVersionCanBeTheMinimumRequired) {
  Spec s = full_spec();
  s.cdi_version = minimum_required_version(s);
  EXPECT_EQ(s.cdi_version, "1.1.0");
  EXPECT_EQ(parse_spec(serialize(s, Format::kYaml), "w.yaml").cdi_version, "1.1.0");
}

TEST(CdiWrite, FormatFollowsTheExtension) {
  EXPECT_EQ(format_for_path("/etc/cdi/nvidia.json"), Format::kJson);
  EXPECT_EQ(format_for_path("/etc/cdi/nvidia.yaml"), Format::kYaml);
  EXPECT_EQ(format_for_path("/etc/cdi/nvidia"), Format::kYaml);
}
