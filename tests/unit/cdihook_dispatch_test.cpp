// nvidia-cdi-hook's command line, run as the real binary: the reference's exit-code rules (nvidia-hooks.md §1.1).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.h"

using namespace gpuhooks::test;
namespace fs = std::filesystem;

namespace {
RunResult hook(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), built("nvidia-cdi-hook").string());
  return run(args, input);
}
}  // namespace

TEST(CdiHookDispatch, NoHookIsAWarningAndExitZero) {
  auto r = hook({});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("No CDI hook specified"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST(CdiHookDispatch, UnknownHookWithUnknownFlagsIsAWarningAndExitZero) {
  auto r = hook({"some-new-hook", "--any-flag", "x"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("Unsupported CDI hook: some-new-hook"), std::string::npos);
  EXPECT_EQ(hook({"--x", "some-new-hook"}).exit_code, 0);
}

TEST(CdiHookDispatch, RemovedCreateSonameSymlinksIsTreatedAsUnknown) {
  EXPECT_EQ(hook({"create-soname-symlinks", "--folder", "/usr/lib"}).exit_code, 0);
}

TEST(CdiHookDispatch, UnknownFlagOnAKnownHookIsExitOne) {
  auto r = hook({"create-symlinks", "--bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("create-symlinks"), std::string::npos);
  EXPECT_EQ(hook({"--x", "create-symlinks"}).exit_code, 1);
}

TEST(CdiHookDispatch, NoopDoesNothingAndDoesNotReadState) {
  auto r = hook({"noop"}, "not json at all");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST(CdiHookDispatch, RootFlagsAreAcceptedAfterTheHookName) {
  TempDir d;
  fs::create_directories(d / "rootfs");
  write_file(d / "config.json", R"({"root":{"path":"rootfs"}})");
  auto state = R"({"id":"x","bundle":")" + d.path().string() + R"("})";
  auto r = hook({"create-symlinks", "--debug", "--link", "a::/b"}, state);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(d / "rootfs/b"));
}

TEST(CdiHookDispatch, MalformedStateIsOneLineAndExitOne) {
  auto r = hook({"create-symlinks", "--link", "a::/b"}, "{broken");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("failed to decode container state"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CdiHookDispatch, CallableAsNvidiaCtkHook) {
  TempDir d;
  fs::create_symlink(built("nvidia-cdi-hook"), d / "nvidia-ctk");
  fs::create_directories(d / "b/rootfs");
  write_file(d / "b/config.json", R"({"root":{"path":"rootfs"}})");
  auto state = R"({"id":"x","bundle":")" + (d / "b").string() + R"("})";
  auto r = run({(d / "nvidia-ctk").string(), "hook", "create-symlinks", "--link", "t::/l"}, state);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::read_symlink(d / "b/rootfs/l"), "t");
  EXPECT_EQ(run({(d / "nvidia-ctk").string(), "hook", "future-hook"}).exit_code, 0);
}

TEST(CdiHookDispatch, HooksNeverWriteToStdout) {
  auto r = hook({"--debug", "unknown"});
  EXPECT_EQ(r.out, "");
}

TEST(CdiHookDispatch, LogFileGetsTheLinesStderrGets) {
  TempDir d;
  fs::create_directories(d / "rootfs");
  write_file(d / "config.json", R"({"root":{"path":"rootfs"}})");
  auto state = R"({"id":"x","bundle":")" + d.path().string() + R"("})";
  auto log = (d / "hook.log").string();
  auto r = hook({"--log-file", log, "create-symlinks", "--link", "a::/b"}, state);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(log).find("Symlinking /b to a"), std::string::npos) << read_file(log);
  r = hook({"create-symlinks", "--log-file=" + log, "--link", "c::/d"}, state);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(log).find("Symlinking /d to c"), std::string::npos) << "appended, not truncated";
  EXPECT_NE(read_file(log).find("Symlinking /b to a"), std::string::npos);
}
