// `gpuhooks cdi list`, run as a program: sorted names on stdout, spec errors as warnings on stderr, exit 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using namespace gpuhooks::test;
using ::testing::HasSubstr;

namespace {

const char* kGood =
    "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- {name: '1', containerEdits: {env: [A=1]}}\n"
    "- {name: '0', containerEdits: {env: [A=0]}}\n";

}  // namespace

TEST(CliCdiList, PrintsSortedQualifiedNames) {
  TempDir d;
  write_file(d / "nvidia.yaml", kGood);
  write_file(
      d / "amd.json",
      R"({"cdiVersion":"0.3.0","kind":"amd.com/gpu","devices":[{"name":"x","containerEdits":{"env":["B=1"]}}]})");
  RunResult r = run({built("gpuhooks").string(), "cdi", "list", "--spec-dir", d.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "amd.com/gpu=x\nnvidia.com/gpu=0\nnvidia.com/gpu=1\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliCdiList, SpecErrorsAreWarningsOnStderr) {
  TempDir d;
  write_file(d / "nvidia.yaml", kGood);
  write_file(d / "bad.yaml", "cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d}]\n");
  RunResult r = run({built("gpuhooks").string(), "cdi", "list", "--spec-dir", d.path().string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "nvidia.com/gpu=0\nnvidia.com/gpu=1\n");
  EXPECT_THAT(r.err, HasSubstr("warning: invalid CDI Spec \"" + (d / "bad.yaml").string() +
                               "\": devices[0].containerEdits: invalid device, empty device edits\n"));
}

TEST(CliCdiList, LaterSpecDirWins) {
  TempDir a, b;
  write_file(a / "x.yaml",
             "cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: only-a, containerEdits: {env: [A=1]}}]\n");
  write_file(b / "x.yaml",
             "cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: only-b, containerEdits: {env: [A=1]}}]\n");
  RunResult r = run(
      {built("gpuhooks").string(), "cdi", "list", "--spec-dir", a.path().string(), "--spec-dir", b.path().string()});
  EXPECT_EQ(r.out, "v.com/c=only-a\nv.com/c=only-b\n");
}

TEST(CliCdiList, JsonFormat) {
  TempDir d;
  write_file(d / "nvidia.yaml", kGood);
  RunResult r = run({built("gpuhooks").string(), "cdi", "list", "--spec-dir", d.path().string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "{\n  \"devices\": [\n    \"nvidia.com/gpu=0\",\n    \"nvidia.com/gpu=1\"\n  ],\n  \"errors\": [],\n"
            "  \"specDirs\": [\n    \"" +
                d.path().string() + "\"\n  ]\n}\n");
}

TEST(CliCdiList, UnknownFormatIsAUsageError) {
  RunResult r = run({built("gpuhooks").string(), "cdi", "list", "--format", "xml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}
