// `gpuhooks cdi validate FILE...`: every problem, one line each naming the file; exit 1 if any.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using namespace gpuhooks::test;

TEST(CliCdiValidate, AValidFileExitsZero) {
  TempDir d;
  write_file(d / "a.yaml", "cdiVersion: 0.5.0\nkind: v.com/c\ndevices: [{name: '0', containerEdits: {env: [A=1]}}]\n");
  std::string f = (d / "a.yaml").string();
  RunResult r = run({built("gpuhooks").string(), "cdi", "validate", f});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, f + ": valid (cdiVersion 0.5.0, minimum 0.5.0, 1 device)\n");
}

TEST(CliCdiValidate, ListsEveryErrorOfEveryFile) {
  TempDir d;
  write_file(d / "a.yaml", "cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n- {name: '0', containerEdits: {env: [X]}}\n");
  write_file(d / "b.json", R"({"cdiVersion":"0.3.0","xyzzy":1})");
  write_file(d / "c.yaml", "cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: ok, containerEdits: {env: [A=1]}}]\n");
  std::string a = (d / "a.yaml").string(), b = (d / "b.json").string(), c = (d / "c.yaml").string();
  RunResult r = run({built("gpuhooks").string(), "cdi", "validate", a, b, c});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "invalid CDI Spec \"" + a +
                       "\": cdiVersion: the spec version must be at least v0.5.0\n"
                       "invalid CDI Spec \"" +
                       a +
                       "\": devices[0].containerEdits.env[0]: invalid container edits: invalid "
                       "environment variable \"X\"\n"
                       "failed to parse CDI Spec \"" +
                       b + "\": unknown field \"xyzzy\"\n" + c +
                       ": valid (cdiVersion 0.3.0, minimum 0.3.0, 1 device)\n");
}

TEST(CliCdiValidate, AMissingFileIsAnError) {
  RunResult r = run({built("gpuhooks").string(), "cdi", "validate", "/nonexistent/a.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "failed to read CDI Spec \"/nonexistent/a.yaml\": No such file or directory\n");
}

TEST(CliCdiValidate, NeedsAtLeastOneFile) {
  RunResult r = run({built("gpuhooks").string(), "cdi", "validate"});
  EXPECT_NE(r.exit_code, 0);
}

TEST(CliCdiValidate, AnnotationKeysAreChecked) {
  TempDir d;
  write_file(d / "a.yaml",
             "cdiVersion: 0.6.0\nkind: v.com/c\nannotations: {'a b': x}\n"
             "devices: [{name: d, containerEdits: {env: [A=1]}}]\n");
  std::string f = (d / "a.yaml").string();
  RunResult r = run({built("gpuhooks").string(), "cdi", "validate", f});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "invalid CDI Spec \"" + f +
                       "\": annotations.a b: invalid annotation key \"a b\": name must be 1-63 "
                       "characters of [A-Za-z0-9-_.], starting and ending alphanumeric\n");
}
