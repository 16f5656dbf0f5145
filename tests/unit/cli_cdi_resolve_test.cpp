// `gpuhooks cdi resolve --gpus`: Docker's mapping to CDI names and its CDI-or-legacy decision, with the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using namespace gpuhooks::test;
using ::testing::HasSubstr;

namespace {

class CliCdiResolve : public ::testing::Test {
 protected:
  CliCdiResolve() {
    write_file(specs_ / "nvidia.yaml",
               "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
               "- {name: '0', containerEdits: {env: [G=0]}}\n"
               "- {name: all, containerEdits: {env: [G=all]}}\n");
  }
  RunResult resolve(std::vector<std::string> args) {
    std::vector<std::string> argv = {built("gpuhooks").string(), "cdi", "resolve", "--spec-dir",
                                     specs_.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  TempDir specs_;
};

}  // namespace

TEST_F(CliCdiResolve, AllIsServedByCdi) {
  RunResult r = resolve({"--gpus", "all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "nvidia.com/gpu=all\nserved by: cdi\nreason: every CDI device resolves\n");
}

TEST_F(CliCdiResolve, AnUnknownNameFallsBackToTheLegacyHook) {
  RunResult r = resolve({"--gpus", "\"device=0,1\""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "nvidia.com/gpu=0\nnvidia.com/gpu=1\nserved by: legacy (nvidia-container-runtime-hook)\n"
            "reason: CDI device injection failed: unresolvable CDI devices nvidia.com/gpu=1\n"
            "env: NVIDIA_VISIBLE_DEVICES=0,1\n");
}

TEST_F(CliCdiResolve, JsonFormat) {
  RunResult r = resolve({"--gpus", "1", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\n  \"devices\": [\n    \"nvidia.com/gpu=0\"\n  ],\n  \"env\": [],\n  \"path\": \"cdi\",\n"
            "  \"reason\": \"every CDI device resolves\"\n}\n");
}

TEST_F(CliCdiResolve, WithoutTheRuntimeHookAnUnresolvedNameIsAnError) {
  RunResult r = resolve({"--gpus", "device=GPU-123", "--no-runtime-hook"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              HasSubstr("error: CDI device injection failed: unresolvable CDI devices nvidia.com/gpu=GPU-123\n"));
}

TEST_F(CliCdiResolve, ABadGpusValueIsDockersError) {
  RunResult r = resolve({"--gpus", "two"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: invalid argument \"two\" for \"--gpus\" flag: invalid count (two): value must "
                               "be either \"all\" or an integer\n"));
}

TEST_F(CliCdiResolve, CountZeroIsServedByNothing) {
  RunResult r = resolve({"--gpus", "0"});
  EXPECT_EQ(r.out, "served by: none\nreason: count 0: no GPU requested, nothing is injected\n");
}
