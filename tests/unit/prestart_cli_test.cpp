// nvidia-container-runtime-hook's command line and its input errors, run directly (nvidia-hooks.md §2.1, §2.3):
// Go-flag parsing, the commands, and one line with exit 1 for each kind of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "discovery_simulated_host.h"
#include "support/test_support.h"

using namespace gpuhooks::test;
using ::testing::HasSubstr;

namespace {

RunResult hook(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::vector<std::string> argv = {built("nvidia-container-runtime-hook").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, stdin_text);
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class PrestartInput : public ::testing::Test {
 protected:
  PrestartInput() { write_file(dir_ / "config.toml", "[nvidia-container-cli]\nroot = \"/nonexistent\"\n"); }
  RunResult prestart(const std::string& state) {
    return hook({"-config", (dir_ / "config.toml").string(), "prestart"}, state);
  }
  std::string state_for(const std::string& bundle) {
    return "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"" + bundle + "\"}";
  }
  TempDir dir_;
};

}  // namespace

TEST(PrestartCli, NoCommandPrintsTheUsageAndExits2) {
  RunResult r = hook({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Usage of nvidia-container-runtime-hook"));
}

TEST(PrestartCli, AnUnknownCommandExits2) { EXPECT_EQ(hook({"start"}).exit_code, 2); }

TEST(PrestartCli, AnUnknownFlagExits2) {
  RunResult r = hook({"-bogus", "prestart"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("flag provided but not defined: -bogus"));
}

TEST(PrestartCli, PoststartAndPoststopExit0WithoutReadingStdin) {
  EXPECT_EQ(hook({"poststart"}, "not json").exit_code, 0);
  EXPECT_EQ(hook({"--debug", "poststop"}, "not json").exit_code, 0);
}

TEST(PrestartCli, VersionInEitherDashForm) {
  for (const char* flag : {"-version", "--version"}) {
    RunResult r = hook({flag});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("NVIDIA Container Runtime Hook version"));
  }
}

TEST(PrestartCli, AMissingConfigFileNamedByTheFlagIsAnError) {
  RunResult r = hook({"-config=/nonexistent/config.toml", "prestart"}, "{}");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/config.toml"));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, MalformedStateIsOneLine) {
  RunResult r = prestart("{\"bundle\": ");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("failed to decode container state"));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, AMissingConfigJsonNamesTheFile) {
  RunResult r = prestart(state_for((dir_ / "no-bundle").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-bundle/config.json"));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, ConfigJsonAsADirectoryIsOneLine) {
  std::filesystem::create_directories(dir_ / "b/config.json");
  RunResult r = prestart(state_for((dir_ / "b").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("config.json"));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, ABundlePathWithANewlineStaysOnOneLine) {
  RunResult r = prestart(state_for((dir_ / "b\\nx").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, ANonGpuContainerExits0WithoutLookingAtTheDriverRoot) {
  write_file(dir_ / "b/config.json", R"({"ociVersion":"1.0.2","process":{"env":["PATH=/bin"]},"root":{"path":"r"}})");
  RunResult r = prestart(state_for((dir_ / "b").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(PrestartInput, AGpuRequestWithNoDriverAndNoSpecFailsWithBothReasons) {
  write_file(dir_ / "b/config.json",
             R"({"ociVersion":"1.0.2","process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"root":{"path":"r"}})");
  write_file(dir_ / "config.toml", "[nvidia-container-cli]\nroot = \"" + (dir_ / "empty").string() +
                                       "\"\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"" +
                                       (dir_ / "cdi").string() + "\"]\n");
  std::filesystem::create_directories(dir_ / "empty");
  RunResult r = prestart(state_for((dir_ / "b").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unresolvable CDI devices nvidia.com/gpu=0; legacy: "));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST_F(PrestartInput, TheHostsRootAsTheContainerRootIsRefused) {
  write_file(dir_ / "b/config.json",
             R"({"ociVersion":"1.0.2","process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"root":{"path":"/"}})");
  write_file(dir_ / "config.toml", "[nvidia-container-cli]\nroot = \"" + simulated_host().string() +
                                       "\"\n[nvidia-container-runtime]\nmode = \"legacy\"\n");
  RunResult r = prestart(state_for((dir_ / "b").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing container root /: it is the host's root directory"));
}
