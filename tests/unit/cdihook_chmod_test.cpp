// chmod (nvidia-hooks.md §1.8): the reference's validation texts, and in-root resolution that never chmods a file
// outside the container (the reference's chmod follows symlinks on the host).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;
using ::testing::HasSubstr;

namespace {

test::RunResult chmod_hook(const std::filesystem::path& root, std::vector<std::string> args) {
  args.insert(args.begin(), {test::built("nvidia-cdi-hook").string(), "chmod"});
  return test::run(args, R"({"ociVersion":"1.0","id":"t","bundle":"/x","root":")" + root.string() + R"("})");
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0xFFFFFFFF;
  return st.st_mode & 07777;
}

}  // namespace

TEST(ChmodHook, MissingModeIsRefused) {
  TempDir root;
  auto r = chmod_hook(root.path(), {"--path", "/dev/dri"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("a non-empty mode must be specified"));
}

TEST(ChmodHook, NonOctalModeIsRefused) {
  TempDir root;
  auto r = chmod_hook(root.path(), {"--mode", "789", "--path", "/dev/dri"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("failed to parse mode as octal"));
}

TEST(ChmodHook, BlankPathIsRefused) {
  TempDir root;
  auto r = chmod_hook(root.path(), {"--mode", "755", "--path", " "});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("paths must not be empty"));
}

TEST(ChmodHook, PathsGetTheMode) {
  TempDir root;
  std::filesystem::create_directories(root / "dev/dri");
  std::filesystem::create_directories(root / "dev/nvidia-caps");
  ::chmod((root / "dev/dri").c_str(), 0700);
  ::chmod((root / "dev/nvidia-caps").c_str(), 0700);
  auto r = chmod_hook(root.path(), {"--mode", "755", "--path", "/dev/dri,/dev/nvidia-caps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(root / "dev/dri"), 0755u);
  EXPECT_EQ(mode_of(root / "dev/nvidia-caps"), 0755u);
}

TEST(ChmodHook, MissingPathIsSkipped) {
  TempDir root;
  auto r = chmod_hook(root.path(), {"--mode", "755", "--path", "/dev/dri"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ChmodHook, SymlinkToAHostFileDoesNotChmodTheHostFile) {
  TempDir root, host;
  test::write_file(host / "shadow", "secret");
  ::chmod((host / "shadow").c_str(), 0600);
  std::filesystem::create_directories(root / "dev");
  std::filesystem::create_symlink(host / "shadow", root / "dev/dri");
  auto r = chmod_hook(root.path(), {"--mode", "777", "--path", "/dev/dri"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(host / "shadow"), 0600u);
}

TEST(ChmodHook, SymlinkInsideTheRootIsFollowedInsideTheRoot) {
  TempDir root;
  std::filesystem::create_directories(root / "dev/real-dri");
  ::chmod((root / "dev/real-dri").c_str(), 0700);
  std::filesystem::create_directory_symlink("/dev/real-dri", root / "dev/dri");
  auto r = chmod_hook(root.path(), {"--mode", "755", "--path", "/dev/dri"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(root / "dev/real-dri"), 0755u);
}

// A hard link reaches the host inode whatever the path looks like inside the root.
TEST(ChmodHook, ARegularFileWithAHardLinkOutsideTheRootIsRefusedAndTheHostFileKeepsItsMode) {
  TempDir dir;
  std::filesystem::create_directories(dir / "root/dev");
  test::write_file(dir / "host-secret", "host");
  ::chmod((dir / "host-secret").c_str(), 0600);
  std::filesystem::create_hard_link(dir / "host-secret", dir / "root/dev/dri");
  auto r = chmod_hook(dir / "root", {"--mode", "777", "--path", "/dev/dri"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing to chmod /dev/dri in container root " + (dir / "root").string() +
                               ": a regular file with 2 hard links"));
  EXPECT_EQ(mode_of(dir / "host-secret"), 0600u);
}

TEST(ChmodHook, ARegularFileWithOneLinkStillGetsTheMode) {
  TempDir root;
  std::filesystem::create_directories(root / "dev");
  test::write_file(root / "dev/file", "x");
  ::chmod((root / "dev/file").c_str(), 0600);
  auto r = chmod_hook(root.path(), {"--mode", "644", "--path", "/dev/file"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(root / "dev/file"), 0644u);
}
