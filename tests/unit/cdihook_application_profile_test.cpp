// update-application-profile (nvidia-hooks.md §1.7).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/cdihooks/update_application_profile.h"
#include "support/test_support.h"

using namespace gpuhooks;
using namespace gpuhooks::cdihook;
using gpuhooks::test::TempDir;

namespace {

void char_device(const std::filesystem::path& p, unsigned minor_number) {
  std::filesystem::create_directories(p.parent_path());
  ASSERT_EQ(::mknod(p.c_str(), S_IFCHR | 0666, makedev(195, minor_number)), 0) << p;
}

test::RunResult run_hook(const std::filesystem::path& root) {
  return test::run({test::built("nvidia-cdi-hook").string(), "update-application-profile"},
                   R"({"ociVersion":"1.0","id":"t","bundle":"/x","root":")" + root.string() + R"("})");
}

const char* kProfile = "etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf";

}  // namespace

TEST(ApplicationProfile, ContentIsTheReferencesExactText) {
  EXPECT_EQ(application_profile(0x5),
            R"({"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",0x5]}],)"
            R"("rules":[{"pattern":[],"profile":"_container_"}]})");
  EXPECT_NE(application_profile(0xABCULL << 40).find(",0xabc0000000000]"), std::string::npos);  // lower-case hex
}

TEST(ApplicationProfile, MaskHasOneBitPerNvidiaGpuCharDevice) {
  TempDir root;
  char_device(root / "dev/nvidia0", 0);
  char_device(root / "dev/nvidia2", 2);
  char_device(root / "dev/nvidiactl", 255);
  char_device(root / "dev/nvidia-uvm", 3);
  test::write_file(root / "dev/nvidia3", "regular file");
  std::filesystem::create_symlink("nvidia0", root / "dev/nvidia4");
  EXPECT_EQ(visible_gpu_mask(rootfs::InRoot(root.path())), 0x5u);
}

TEST(ApplicationProfile, OnlyNvidiaAndDigitsNameAGpu) {
  TempDir root;
  char_device(root / "dev/nvidia12", 12);
  char_device(root / "dev/nvidia", 1);
  char_device(root / "dev/nvidia5a", 5);
  char_device(root / "dev/nvidia-6", 6);
  char_device(root / "dev/xnvidia7", 7);
  char_device(root / "dev/NVIDIA8", 8);
  EXPECT_EQ(visible_gpu_mask(rootfs::InRoot(root.path())), uint64_t{1} << 12);
}

TEST(ApplicationProfile, MinorsAbove63AreDropped) {
  TempDir root;
  char_device(root / "dev/nvidia1", 1);
  char_device(root / "dev/nvidia64", 64);
  EXPECT_EQ(visible_gpu_mask(rootfs::InRoot(root.path())), 0x2u);
}

TEST(ApplicationProfile, HookWritesTheFileWithMode0444) {
  TempDir root;
  char_device(root / "dev/nvidia1", 1);
  char_device(root / "dev/nvidia3", 3);
  auto r = run_hook(root.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(root / kProfile), application_profile(0xa));
  struct stat st {};
  ASSERT_EQ(::stat((root / kProfile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
}

TEST(ApplicationProfile, HookWithoutGpusWritesNothing) {
  TempDir root;
  char_device(root / "dev/nvidiactl", 255);
  auto r = run_hook(root.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root / "etc"));
}

TEST(ApplicationProfile, EtcSymlinkedToAHostPathIsNeverFollowedOut) {
  TempDir root, host;
  char_device(root / "dev/nvidia0", 0);
  std::filesystem::create_directory_symlink(host.path(), root / "etc");
  auto r = run_hook(root.path());
  // Re-rooted, the link names a missing directory inside the root: the in-root API refuses to create through it
  // (the reference's os.Root fails on such a link too).
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::filesystem::is_empty(host.path()));
}

TEST(ApplicationProfile, EtcSymlinkedInsideTheRootIsFollowedThere) {
  TempDir root;
  char_device(root / "dev/nvidia0", 0);
  std::filesystem::create_directories(root / "real-etc");
  std::filesystem::create_directory_symlink("/real-etc", root / "etc");
  auto r = run_hook(root.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(root / "real-etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf"),
            application_profile(0x1));
}
