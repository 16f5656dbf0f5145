// nvidia-cdi-hook on a container root that has run out of room (issue 9 §5): a small tmpfs as the root, filled so
// that a chosen write of the hook is the first to fail with ENOSPC. The hook fails with one line naming what could
// not be written, and the image's files are as they were: nothing it wrote before the failure stays, no temporary
// file is left. Once there is room again, the next run does the whole job. (A read-only root is
// cdi_hook_bad_input_test's.)
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "e2e/harness/fixtures.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/small_image.h"
#include "e2e/harness/small_tmpfs.h"
#include "support/test_support.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

// A bundle whose root is a small tmpfs holding the small image.
struct SmallRoot {
  explicit SmallRoot(const std::string& tmpfs_options) : tmpfs(root, tmpfs_options) {
    make_small_image(root);
    state = state_for_bundle(bundle);
  }
  // The image's linker configuration and library folders (the filler at the top of the root is not the image's).
  std::string image_files() const { return describe_image_files(root / "etc") + describe_image_files(root / "usr"); }
  test::RunResult run_hook(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{test::built("nvidia-cdi-hook").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, state, {"NVIDIA_CTK_DEBUG=false"});
  }

  test::TempDir dir;
  fs::path bundle = dir / "bundle";
  fs::path root = bundle / "rootfs";
  SmallTmpfs tmpfs;
  std::string state;
};

const std::vector<std::string> kUpdateLdcache = {"update-ldcache", "--folder", kSmallImageDriverDir};

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

void expect_one_error_line(const test::RunResult& r, const std::vector<std::string>& expected) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  // Info lines (the reference's "Symlinking ..." for each link) may come first; the failure is one error line.
  size_t others = 0;
  std::istringstream lines(r.err);
  for (std::string l; std::getline(lines, l);) others += l.find(" info: ") == std::string::npos;
  EXPECT_EQ(others, 1u) << r.err;
  EXPECT_NE(r.err.find(" error: "), std::string::npos) << r.err;
  for (const auto& e : expected)
    EXPECT_NE(r.err.find(e), std::string::npos) << "expected: " << e << "\n   got: " << r.err;
}

// After a failed run, room again: the next run succeeds and the cache indexes the driver folder.
void expect_next_run_completes(SmallRoot& s, const std::vector<std::string>& args) {
  fs::remove(s.root / ".filler");
  fs::remove_all(s.root / ".filler-inodes");
  auto r = s.run_hook(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(s.root / "etc/ld.so.cache").find(kSimgpuSoname), std::string::npos);
}

// Every file the hook writes fails: the first, a drop-in in /etc/ld.so.conf.d, stops it.
TEST(FullRootfs, NoRoomForTheDropInsIsOneLineAndTheImageIsAsItWas) {
  SmallRoot s("size=1m");
  s.tmpfs.fill_up();
  const std::string before = s.image_files();
  auto r = s.run_hook(kUpdateLdcache);
  expect_one_error_line(r, {"update-ldcache: failed to write /etc/ld.so.conf.d/00-nvcr-",
                            ".conf: No space left on device", "container root " + s.root.string()});
  EXPECT_EQ(s.image_files(), before);
  expect_next_run_completes(s, kUpdateLdcache);
}

// An image without /etc/ld.so.conf.d (busybox's): the folder the hook made for its drop-ins goes again too.
TEST(FullRootfs, AFolderTheHookMadeForItsDropInsIsRemovedAgain) {
  SmallRoot s("size=1m");
  fs::remove_all(s.root / "etc/ld.so.conf.d");
  s.tmpfs.fill_up();
  const std::string before = s.image_files();
  auto r = s.run_hook(kUpdateLdcache);
  expect_one_error_line(r, {"update-ldcache: ", "No space left on device"});
  EXPECT_EQ(s.image_files(), before);
  EXPECT_FALSE(fs::exists(s.root / "etc/ld.so.conf.d"));
}

// Room for the two drop-ins (a page each) and not for the cache: the drop-ins written before the cache failed are
// taken back, and the half-written cache is not left under any name. Our cache writer says so in one line.
TEST(FullRootfs, NoRoomForTheCacheTakesBackTheDropInsAndLeavesNoTemporaryFile) {
  SmallRoot s("size=1m");
  s.tmpfs.fill_up();
  s.tmpfs.leave_free(2 * 4096);
  const std::string before = s.image_files();
  auto r = s.run_hook(kUpdateLdcache);
  expect_one_error_line(r, {"update-ldcache: ", "No space left on device"});
  EXPECT_EQ(s.image_files(), before);
  expect_next_run_completes(s, kUpdateLdcache);
}

// The same through the host ldconfig (--use-ldconfig): ldconfig prints its own reason on the hook's stderr before
// our line, which is the last one; the image is restored all the same.
TEST(FullRootfs, NoRoomForTheCacheWithLdconfigAlsoTakesEverythingBack) {
  SmallRoot s("size=1m");
  s.tmpfs.fill_up();
  s.tmpfs.leave_free(2 * 4096);
  const std::string before = s.image_files();
  std::vector<std::string> args = kUpdateLdcache;
  args.push_back("--use-ldconfig");
  auto r = s.run_hook(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  const std::string last_line = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  EXPECT_NE(last_line.find(" error: update-ldcache: "), std::string::npos) << r.err;
  EXPECT_LE(line_count(r.err), 2u) << r.err;
  EXPECT_EQ(s.image_files(), before);
  expect_next_run_completes(s, kUpdateLdcache);
}

// No inode left: create-symlinks, first in the spec's one hook process, cannot make its link; update-ldcache
// after it never runs.
TEST(FullRootfs, NoInodeForALinkIsOneLineNamingTheLinkAndNothingElseRuns) {
  SmallRoot s("size=1m,nr_inodes=64");
  s.tmpfs.use_up_inodes();
  const std::string before = s.image_files();
  const std::vector<std::string> args = {"create-symlinks", "--link", "libsimgpu.so.1::/usr/lib/simgpu/libsimgpu.so",
                                         "--"};
  std::vector<std::string> both = args;
  both.insert(both.end(), kUpdateLdcache.begin(), kUpdateLdcache.end());
  auto r = s.run_hook(both);
  expect_one_error_line(r, {"create-symlinks: ", "/usr/lib/simgpu/libsimgpu.so", "No space left on device"});
  EXPECT_EQ(s.image_files(), before);
  expect_next_run_completes(s, both);
}

}  // namespace
}  // namespace gpuhooks::e2e
