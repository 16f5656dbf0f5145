// One folder as ldconfig indexes it (glibc 2.36 elf/ldconfig.c search_dir, create_links), read in-root: what goes in
// the cache under which key and flags, which file wins a soname, which soname links are made, what is skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "common/ldcache/folder_scan.h"
#include "ldcache_fixtures.h"

namespace gpuhooks::ldcache {
namespace {

namespace fs = std::filesystem;
using fixtures::Kind;
using fixtures::make_library;

class FolderScanTest : public ::testing::Test {
 protected:
  FolderScan scan() { return scan_folder(rootfs::InRoot(root()), "/opt/drv", Arch::kX86_64); }
  fs::path root() const { return tmp_.path(); }
  fs::path drv() const { return tmp_.path() / "opt/drv"; }
  const ScannedLibrary* find(const FolderScan& s, const std::string& soname) {
    for (const auto& l : s.libraries)
      if (l.soname == soname) return &l;
    return nullptr;
  }
  test::TempDir tmp_;
};

TEST_F(FolderScanTest, TheKeyIsTheSonameAndTheFileIsReachedThroughALinkNamedAfterIt) {
  make_library(drv() / "libfoo.so.1.2.3", "libfoo.so.1");
  auto s = scan();
  ASSERT_EQ(s.libraries.size(), 1u);
  EXPECT_EQ(s.libraries[0], (ScannedLibrary{"libfoo.so.1", "libfoo.so.1.2.3", 0x0303, false}));
  EXPECT_THAT(s.links, ::testing::ElementsAre(SonameLink{"/opt/drv/libfoo.so.1", "libfoo.so.1.2.3"}));
}

TEST_F(FolderScanTest, ALibraryWithoutASonameIsKeyedByItsFileName) {
  make_library(drv() / "libplain.so.4", "");
  auto s = scan();
  ASSERT_NE(find(s, "libplain.so.4"), nullptr);
  EXPECT_TRUE(s.links.empty());  // the name is its own soname
}

TEST_F(FolderScanTest, ThirtyTwoBitLibrariesHaveNoArchBitsAndAreLibc6OnlyWhenTheyUseIt) {
  make_library(drv() / "libi386.so.1", "libi386.so.1", Kind::kI386Libc6);
  make_library(drv() / "libbare.so.1", "libbare.so.1", Kind::kI386NoLibc);
  auto s = scan();
  ASSERT_NE(find(s, "libi386.so.1"), nullptr);
  EXPECT_EQ(find(s, "libi386.so.1")->flags, 0x0003);
  ASSERT_NE(find(s, "libbare.so.1"), nullptr);
  EXPECT_EQ(find(s, "libbare.so.1")->flags, 0x0001);
}

TEST_F(FolderScanTest, OfTwoFilesWithOneSonameTheNewestVersionWins) {
  make_library(drv() / "libfoo.so.1.9.0", "libfoo.so.1");
  make_library(drv() / "libfoo.so.1.10.0", "libfoo.so.1");
  auto s = scan();
  ASSERT_EQ(s.libraries.size(), 1u);
  EXPECT_EQ(s.libraries[0].file, "libfoo.so.1.10.0");
}

TEST_F(FolderScanTest, AnOutdatedSonameLinkIsReplacedAndACorrectOneIsLeft) {
  make_library(drv() / "libold.so.2.0", "libold.so.2");
  make_library(drv() / "libold.so.2.1", "libold.so.2");
  fs::create_symlink("libold.so.2.0", drv() / "libold.so.2");
  make_library(drv() / "libok.so.3.0", "libok.so.3");
  fs::create_symlink("libok.so.3.0", drv() / "libok.so.3");
  auto s = scan();
  EXPECT_THAT(s.links, ::testing::ElementsAre(SonameLink{"/opt/drv/libold.so.2", "libold.so.2.1"}));
}

TEST_F(FolderScanTest, ARegularFileUnderTheSonameIsNeverReplacedByALink) {
  make_library(drv() / "libfoo.so.1.2", "libfoo.so.1");
  make_library(drv() / "libfoo.so.1", "libfoo.so.1");
  auto s = scan();
  EXPECT_TRUE(s.links.empty());
  ASSERT_EQ(s.libraries.size(), 1u);
  EXPECT_EQ(s.libraries[0].file, "libfoo.so.1.2");  // the newer file wins, but the cache names libfoo.so.1
}

TEST_F(FolderScanTest, ADevelopmentLinkIsIndexedUnderItsOwnName) {
  make_library(drv() / "libfoo.so.1.2", "libfoo.so.1");
  fs::create_symlink("libfoo.so.1.2", drv() / "libfoo.so");
  auto s = scan();
  ASSERT_NE(find(s, "libfoo.so"), nullptr);
  EXPECT_TRUE(find(s, "libfoo.so")->is_link);
  ASSERT_NE(find(s, "libfoo.so.1"), nullptr);
}

TEST_F(FolderScanTest, NonElfFilesOtherMachinesAndOtherNamesAreSkipped) {
  test::write_file(drv() / "libscript.so", "GROUP ( /lib/libc.so.6 )\n");
  make_library(drv() / "notalib.so.1", "notalib.so.1");
  fs::create_symlink("missing.so.1", drv() / "libdangling.so.1");
  auto s = scan();
  EXPECT_TRUE(s.libraries.empty());
  EXPECT_TRUE(s.links.empty());
}

// ldconfig opens what it finds and blocks on a FIFO nobody writes; the scan checks the type on an O_NONBLOCK open.
TEST_F(FolderScanTest, AFifoBehindALibraryNameIsSkippedWithoutBlocking) {
  fs::create_directories(drv());
  ASSERT_EQ(::mkfifo((drv() / "fifo").c_str(), 0644), 0);
  fs::create_symlink("fifo", drv() / "libfifo.so.1");
  ASSERT_EQ(::mkfifo((drv() / "libfifo2.so.1").c_str(), 0644), 0);
  EXPECT_TRUE(scan().libraries.empty());
}

TEST_F(FolderScanTest, ALinkOutOfTheRootIsFollowedInsideIt) {
  make_library(root() / "inside/libhost.so.1", "libhost.so.1");
  fs::create_directories(drv());
  fs::create_symlink("/inside/libhost.so.1", drv() / "libhost.so.1");
  auto s = scan();
  ASSERT_NE(find(s, "libhost.so.1"), nullptr);
  EXPECT_TRUE(find(s, "libhost.so.1")->is_link);
}

// Links to names in their own folder, chains of them included, are resolved on the folder's fd, any other target
// from the root: both reach what ldconfig reaches, also where the folder itself is reached through a symlink.
TEST_F(FolderScanTest, LinksToNamesInTheFolderAndChainsOfLinksResolveAsInTheRoot) {
  make_library(root() / "real/drv/libfoo.so.1.2", "libfoo.so.1");
  fs::create_symlink("libfoo.so.1.2", root() / "real/drv/libfoo.so.1");
  fs::create_symlink("libfoo.so.1", root() / "real/drv/libfoo.so");  // a chain in the folder
  make_library(root() / "real/lib/libbar.so.2.0", "libbar.so.2");
  fs::create_symlink("../lib/libbar.so.2.0", root() / "real/drv/libbar.so.2.0");
  fs::create_symlink("libbar.so.2.0", root() / "real/drv/libbar.so.2");  // a chain that leaves the folder
  fs::create_directories(root() / "real/drv/libdir.so.7.0");
  fs::create_symlink("libdir.so.7.0", root() / "real/drv/libdir.so.7");    // a directory behind the link: skipped
  fs::create_symlink("libgone.so.3.0", root() / "real/drv/libgone.so.3");  // dangling: skipped
  fs::create_directories(root() / "opt");
  fs::create_symlink("/real/drv", root() / "opt/drv");
  auto s = scan();
  ASSERT_EQ(s.libraries.size(), 3u);
  EXPECT_EQ(s.libraries[0], (ScannedLibrary{"libbar.so.2", "libbar.so.2.0", 0x0303, false}));
  EXPECT_EQ(s.libraries[1], (ScannedLibrary{"libfoo.so", "libfoo.so", 0x0303, true}));
  EXPECT_EQ(s.libraries[2], (ScannedLibrary{"libfoo.so.1", "libfoo.so.1.2", 0x0303, false}));
  EXPECT_TRUE(s.links.empty());  // libfoo.so.1 already names the file
}

// A loop of links is dangling; a chain longer than the folder's own walk follows is resolved from the root.
TEST_F(FolderScanTest, ALoopOfLinksIsSkippedAndALongChainStillResolves) {
  fs::create_directories(drv());
  fs::create_symlink("libloop.so.2", drv() / "libloop.so.1");
  fs::create_symlink("libloop.so.1", drv() / "libloop.so.2");
  make_library(drv() / "libdeep.so.1.0", "libdeep.so.1");
  for (int i = 1; i <= 6; ++i)
    fs::create_symlink("libdeep.so.1." + std::to_string(i - 1), drv() / ("libdeep.so.1." + std::to_string(i)));
  auto s = scan();
  ASSERT_EQ(s.libraries.size(), 1u);
  // Alias links count as files of their soname, and the newest name wins: only a resolved chain can be chosen.
  EXPECT_EQ(s.libraries[0], (ScannedLibrary{"libdeep.so.1", "libdeep.so.1.6", 0x0303, false}));
  EXPECT_THAT(s.links, ::testing::ElementsAre(SonameLink{"/opt/drv/libdeep.so.1", "libdeep.so.1.6"}));
}

// An image can fill a folder with one long chain of links: the scan follows a few of them in the folder (a few frames
// of the stack), and the rest from the root, where the kernel's limit of 40 links decides, as for ldconfig.
TEST_F(FolderScanTest, ALongChainOfLinksIsFollowedOnlyAsFarAsTheKernelFollowsIt) {
  make_library(drv() / "libchain.so.1.0", "libchain.so.1");
  constexpr int kLinks = 200;
  for (int i = 1; i <= kLinks; ++i)
    fs::create_symlink("libchain.so.1." + std::to_string(i - 1), drv() / ("libchain.so.1." + std::to_string(i)));
  auto s = scan();
  ASSERT_EQ(s.libraries.size(), 1u);
  EXPECT_EQ(s.libraries[0].file, "libchain.so.1.40");  // the newest name that resolves: 40 links away
}

TEST_F(FolderScanTest, HardwareCapabilitySubdirectoriesSendTheFolderToLdconfig) {
  make_library(drv() / "glibc-hwcaps/x86-64-v3/libfoo.so.1", "libfoo.so.1");
  EXPECT_THAT(scan().needs_ldconfig, ::testing::HasSubstr("hardware-capability subdirectory glibc-hwcaps"));
  fs::remove_all(drv() / "glibc-hwcaps");
  fs::create_directories(drv() / "tls");
  EXPECT_THAT(scan().needs_ldconfig, ::testing::HasSubstr("subdirectory tls"));
}

// ldconfig would make the link "<folder>/../../etc/passwd"; the loader never looks a name with "/" up in the cache.
TEST_F(FolderScanTest, ASonameWithASlashIsSkippedAndNoLinkLeavesTheFolder) {
  make_library(drv() / "libevil.so.1", "../../etc/passwd");
  auto s = scan();
  EXPECT_TRUE(s.libraries.empty());
  EXPECT_TRUE(s.links.empty());
}

TEST_F(FolderScanTest, ASonameTakenByANameTheScanSkipsIsNeverReplacedAndAFreeOneGetsItsLink) {
  // "xrt" and "yrt" are no library names: the scan never looks at them, yet the first is there and stays a file.
  make_library(drv() / "libx.so.1.0", "xrt");
  make_library(drv() / "liby.so.1.0", "yrt");
  test::write_file(drv() / "xrt", "the image's own file\n");
  auto s = scan();
  EXPECT_THAT(s.links, ::testing::ElementsAre(SonameLink{"/opt/drv/yrt", "liby.so.1.0"}));
}

TEST_F(FolderScanTest, AMissingFolderScansAsEmpty) {
  auto s = scan();
  EXPECT_TRUE(s.libraries.empty());
  EXPECT_TRUE(s.needs_ldconfig.empty());
}

}  // namespace
}  // namespace gpuhooks::ldcache
