// create-symlinks (nvidia-hooks.md §1.3), run as the real binary against a bundle in a temp dir.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.h"

using namespace gpuhooks::test;
namespace fs = std::filesystem;

namespace {
struct Bundle {
  TempDir dir;
  Bundle() {
    fs::create_directories(dir / "rootfs");
    write_file(dir / "config.json", R"({"root":{"path":"rootfs"}})");
  }
  fs::path root() const { return dir / "rootfs"; }
  std::string state() const {
    return R"({"id":"x","status":"creating","pid":1,"bundle":")" + dir.path().string() + R"("})";
  }
  RunResult links(const std::vector<std::string>& specs) const {
    std::vector<std::string> argv{built("nvidia-cdi-hook").string(), "create-symlinks"};
    for (const auto& s : specs) {
      argv.push_back("--link");
      argv.push_back(s);
    }
    return run(argv, state(), {});
  }
};
}  // namespace

TEST(CreateSymlinks, TargetIsWrittenVerbatimAndParentsAreCreated) {
  Bundle b;
  auto r = b.links({"libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so", "/abs/target::/opt/x/y"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::read_symlink(b.root() / "usr/lib/x86_64-linux-gnu/libcuda.so"), "libcuda.so.1");
  EXPECT_EQ(fs::read_symlink(b.root() / "opt/x/y"), "/abs/target");
  EXPECT_FALSE(fs::exists(b.root() / "abs")) << "the target is never created";
}

TEST(CreateSymlinks, CommaSeparatedValuesAreSeveralLinks) {
  Bundle b;
  ASSERT_EQ(b.links({"a::/l1,b::/l2"}).exit_code, 0);
  EXPECT_EQ(fs::read_symlink(b.root() / "l1"), "a");
  EXPECT_EQ(fs::read_symlink(b.root() / "l2"), "b");
}

TEST(CreateSymlinks, RunningTwiceIsIdempotent) {
  Bundle b;
  ASSERT_EQ(b.links({"a::/l"}).exit_code, 0);
  ASSERT_EQ(b.links({"a::/l"}).exit_code, 0);
  EXPECT_EQ(fs::read_symlink(b.root() / "l"), "a");
}

TEST(CreateSymlinks, ALinkPointingElsewhereOrAFileIsReplaced) {
  Bundle b;
  fs::create_symlink("old", b.root() / "l");
  write_file(b.root() / "f", "plain");
  ASSERT_EQ(b.links({"new::/l", "new::/f"}).exit_code, 0);
  EXPECT_EQ(fs::read_symlink(b.root() / "l"), "new");
  EXPECT_EQ(fs::read_symlink(b.root() / "f"), "new");
}

TEST(CreateSymlinks, InvalidSpecificationIsExitOneAndCreatesNothing) {
  Bundle b;
  for (const char* bad : {"a", "a::b::c"}) {
    auto r = b.links({"ok::/first", bad});
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find(std::string("invalid symlink specification ") + bad), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(b.root() / "first"))) << "nothing half-done";
}

TEST(CreateSymlinks, AbsoluteSymlinkedParentIsClampedAtTheRoot) {
  Bundle b;
  fs::create_directories(b.root() / "lib");
  fs::create_symlink("/", b.root() / "lib/foo");
  fs::create_symlink("../../", b.root() / "lib/bar");
  ASSERT_EQ(b.links({"x::/lib/foo/libfoo.so", "y::/lib/bar/libbar.so"}).exit_code, 0);
  EXPECT_EQ(fs::read_symlink(b.root() / "libfoo.so"), "x");
  EXPECT_EQ(fs::read_symlink(b.root() / "libbar.so"), "y");
}

TEST(CreateSymlinks, CVE_2024_0133_SymlinkToHostDirectoryNeverCreatesOnTheHost) {
  Bundle b;
  TempDir host;
  fs::create_directories(b.root() / "usr/lib");
  fs::create_symlink(host.path(), b.root() / "usr/lib/x86_64-linux-gnu");
  auto r = b.links({"libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"});
  EXPECT_EQ(r.exit_code, 1) << "the re-rooted target does not exist inside the root";
  EXPECT_TRUE(fs::is_empty(host.path())) << "nothing may appear in the host directory";
}

TEST(CreateSymlinks, ExistingDirectoryAtTheLinkIsAnError) {
  Bundle b;
  fs::create_directories(b.root() / "d/child");
  EXPECT_EQ(b.links({"x::/d"}).exit_code, 1);
  EXPECT_TRUE(fs::is_directory(b.root() / "d/child"));
}

TEST(CreateSymlinks, MissingConfigJsonIsExitOne) {
  Bundle b;
  fs::remove(b.dir / "config.json");
  auto r = b.links({"a::/l"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.json"), std::string::npos);
}

TEST(CreateSymlinks, ReadOnlyRootIsOneLineErrorExitOne) {
  Bundle b;
  // A read-only bind mount of the root: needs root privileges; we are root in CI.
  ASSERT_EQ(run({"/bin/mount", "--bind", "-o", "ro", b.root().string(), b.root().string()}).exit_code, 0);
  ASSERT_EQ(run({"/bin/mount", "-o", "remount,bind,ro", b.root().string()}).exit_code, 0);
  auto r = b.links({"a::/l"});
  run({"/bin/umount", b.root().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}
