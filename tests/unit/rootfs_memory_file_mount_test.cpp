// A file with given content mounted over a target, leaving nothing else behind (common/rootfs/memory_file_mount.h).
// Each test runs in a forked child inside a private mount namespace so that its mounts vanish with it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/memory_file_mount.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::in_private_mount_namespace;
using gpuhooks::test::TempDir;

namespace {

std::string mount_line_for(const std::string& path) {
  std::istringstream info(test::read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(info, line))
    if (line.find(" " + path + " ") != std::string::npos) return line;
  return "";
}

}  // namespace

TEST(MemoryFileMount, TargetShowsTheNewContent) {
  TempDir root;
  test::write_file(root / "proc/driver/nvidia/params", "ModifyDeviceFiles: 1\n");
  auto seen = in_private_mount_namespace([&] {
    rootfs::InRoot r(root.path());
    UniqueFd target = r.open("/proc/driver/nvidia/params");
    rootfs::mount_memory_file_over(target.get(), "ModifyDeviceFiles: 0\n", 0444, "params");
    return test::read_file(root / "proc/driver/nvidia/params");
  });
  EXPECT_EQ(seen, "ModifyDeviceFiles: 0\n");
  EXPECT_EQ(test::read_file(root / "proc/driver/nvidia/params"), "ModifyDeviceFiles: 1\n");  // outside: untouched
}

TEST(MemoryFileMount, MountIsReadOnlyNoSuidNoDevNoExecWithTheGivenMode) {
  TempDir root;
  test::write_file(root / "target", "old");
  auto seen = in_private_mount_namespace([&] {
    rootfs::InRoot r(root.path());
    UniqueFd target = r.open("/target");
    rootfs::mount_memory_file_over(target.get(), "new", 0444, "target");
    std::string out;
    int fd = ::open((root / "target").c_str(), O_WRONLY);
    out += fd < 0 && errno == EROFS ? "EROFS " : "writable ";
    struct stat st {};
    ::stat((root / "target").c_str(), &st);
    out += std::to_string(st.st_mode & 07777) + " ";
    std::string line = mount_line_for((root / "target").string());
    out += line.find(" ro,nosuid,nodev,noexec") != std::string::npos ? "flags-ok" : "flags: " + line;
    return out;
  });
  EXPECT_EQ(seen, "EROFS " + std::to_string(0444) + " flags-ok");
}

TEST(MemoryFileMount, NothingIsCreatedBesideTheTarget) {
  TempDir root;
  test::write_file(root / "proc/driver/nvidia/params", "x");
  auto seen = in_private_mount_namespace([&] {
    rootfs::InRoot r(root.path());
    UniqueFd target = r.open("/proc/driver/nvidia/params");
    rootfs::mount_memory_file_over(target.get(), "y", 0444, "params");
    std::string listing;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root.path()))
      listing += std::filesystem::relative(e.path(), root.path()).string() + " ";
    return listing;
  });
  EXPECT_EQ(seen, "proc proc/driver proc/driver/nvidia proc/driver/nvidia/params ");
}

TEST(MemoryFileMount, TargetReachedThroughASymlinkIsTheInRootOne) {
  TempDir root, host;
  test::write_file(host / "params", "host file");
  test::write_file(root / "real/params", "in root");
  std::filesystem::create_directory_symlink(host.path(), root / "escape");  // absolute: re-rooted, not followed
  std::filesystem::create_directory_symlink("/real", root / "link");
  auto seen = in_private_mount_namespace([&] {
    rootfs::InRoot r(root.path());
    int err = 0;
    UniqueFd escape = r.try_open("/escape/params", O_PATH, rootfs::Follow::kAll, &err);
    if (escape.valid()) return std::string("escape opened");
    UniqueFd target = r.open("/link/params");
    rootfs::mount_memory_file_over(target.get(), "replaced", 0444, "params");
    return test::read_file(root / "real/params") + "|" + test::read_file(host / "params");
  });
  EXPECT_EQ(seen, "replaced|host file");
}

// Before Linux 5.12 there is no mount_setattr: the replacement is still read-only, nosuid, nodev and noexec.
TEST(MemoryFileMount, WithoutMountSetattrTheMountIsStillReadOnly) {
  TempDir root;
  test::write_file(root / "target", "old");
  auto seen = in_private_mount_namespace([&] {
    if (!test::deny_mount_setattr()) return std::string("no seccomp");
    rootfs::InRoot r(root.path());
    UniqueFd target = r.open("/target");
    rootfs::mount_memory_file_over(target.get(), "new", 0444, "target");
    int fd = ::open((root / "target").c_str(), O_WRONLY);
    std::string line = mount_line_for((root / "target").string());
    return std::string(fd < 0 && errno == EROFS ? "EROFS " : "writable ") +
           (line.find(" ro,nosuid,nodev,noexec") != std::string::npos ? "flags-ok" : "flags: " + line) + " " +
           test::read_file(root / "target");
  });
  EXPECT_EQ(seen, "EROFS flags-ok new");
}
