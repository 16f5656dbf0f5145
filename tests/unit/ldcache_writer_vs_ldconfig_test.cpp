// Our cache writer against the real thing: each root is copied twice, one copy updated by our writer and the other by
// the host's ldconfig run in it as update-ldcache --use-ldconfig runs it (glibc 2.36, Debian 12); then `ldconfig -p`
// of both caches and the soname links of the folders must agree, entry for entry and in order. And the loader agrees:
// a program needing a library in an injected folder runs chrooted in the root, with no LD_LIBRARY_PATH.
// The ldconfig side runs in fresh namespaces: root only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/ldcache/container_ldcache.h"
#include "ldcache_fixtures.h"

namespace gpuhooks::ldcache {
namespace {

namespace fs = std::filesystem;
using fixtures::Kind;
using fixtures::links_in;
using fixtures::listing;
using fixtures::make_library;

bool written_by_us(const fs::path& root) {
  return test::read_file(root / "etc/ld.so.cache").find("gpuhooks update-ldcache") != std::string::npos;
}

class WriterVsLdconfig : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ldconfig runs in new namespaces: needs root";
    fixtures::make_debian_root(base());
  }
  fs::path base() const { return tmp_.path() / "base"; }
  fs::path ours() const { return tmp_.path() / "ours"; }
  fs::path theirs() const { return tmp_.path() / "theirs"; }

  void run_both(const std::vector<std::string>& folders) {
    fixtures::copy_root(base(), ours());
    fixtures::copy_root(base(), theirs());
    update_container_ldcache(ours(), folders, "/sbin/ldconfig", CacheBuilder::kWriter);
    update_container_ldcache(theirs(), folders, "/sbin/ldconfig", CacheBuilder::kLdconfig);
  }
  void expect_same_links(const std::vector<std::string>& folders) {
    for (const auto& f : folders) EXPECT_EQ(links_in(ours() / f.substr(1)), links_in(theirs() / f.substr(1))) << f;
  }
  // The same links but for `dead`, links that lead nowhere: ldconfig unlinks them, we remove nothing from an image.
  void expect_same_links_but_dead(const std::string& folder, const std::vector<std::string>& dead) {
    auto kept = links_in(ours() / folder.substr(1));
    for (const auto& d : dead) EXPECT_EQ(std::erase(kept, d), 1u) << d;
    EXPECT_EQ(kept, links_in(theirs() / folder.substr(1))) << folder;
  }

  test::TempDir tmp_;
};

// One folder with what ldconfig decides something about: versions, links, no soname, i386, a script, an alias
// link, and a soname the image already has elsewhere (ours must come first: the drop-in is read first).
TEST_F(WriterVsLdconfig, AFolderOfEveryKindOfFileIsIndexedAsLdconfigIndexesIt) {
  const fs::path drv = base() / "opt/drv";
  make_library(drv / "libfoo.so.1.9.0", "libfoo.so.1");
  make_library(drv / "libfoo.so.1.10.0", "libfoo.so.1");
  fs::create_symlink("libfoo.so.1", drv / "libfoo.so");
  make_library(drv / "libold.so.2.0", "libold.so.2");
  make_library(drv / "libold.so.2.1", "libold.so.2");
  fs::create_symlink("libold.so.2.0", drv / "libold.so.2");
  make_library(drv / "libplain.so.4", "");
  make_library(drv / "libi386.so.1", "libi386.so.1", Kind::kI386Libc6);
  make_library(drv / "libbare.so.1", "libbare.so.1", Kind::kI386NoLibc);
  test::write_file(drv / "libscript.so", "GROUP ( libfoo.so.1 )\n");
  fs::create_symlink("libfoo.so.1.10.0", drv / "libalias.so.7");
  fs::copy_file(fs::canonical("/usr/lib/x86_64-linux-gnu/libz.so.1"), drv / "libz.so.1.99");
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
  expect_same_links({"/opt/drv"});
  EXPECT_THAT(listing(ours() / "etc/ld.so.cache"), ::testing::Contains(::testing::HasSubstr("/opt/drv/libfoo.so.1")));
}

// The links a driver folder holds, as the scan resolves them in the folder (common/ldcache/folder_scan.cpp): chains
// of names in it, a chain longer than that walk follows, one that leaves the folder, a loop and a dangling link.
TEST_F(WriterVsLdconfig, ChainsLoopsAndDanglingLinksInAFolderAreIndexedAsLdconfigIndexesThem) {
  const fs::path drv = base() / "opt/drv";
  make_library(drv / "libfoo.so.1.2", "libfoo.so.1");
  fs::create_symlink("libfoo.so.1.2", drv / "libfoo.so.1");
  fs::create_symlink("libfoo.so.1", drv / "libfoo.so");
  make_library(drv / "libdeep.so.3.0", "libdeep.so.3");
  for (int i = 1; i <= 6; ++i)
    fs::create_symlink("libdeep.so.3." + std::to_string(i - 1), drv / ("libdeep.so.3." + std::to_string(i)));
  fs::create_symlink("libdeep.so.3.6", drv / "libdeep.so");
  make_library(base() / "opt/lib/libout.so.2.0", "libout.so.2");
  fs::create_symlink("../lib/libout.so.2.0", drv / "libout.so.2.0");
  fs::create_symlink("libout.so.2.0", drv / "libout.so");
  fs::create_symlink("libloop.so.2", drv / "libloop.so.1");
  fs::create_symlink("libloop.so.1", drv / "libloop.so.2");
  fs::create_symlink("libgone.so.5.0", drv / "libgone.so.5");
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
  EXPECT_THAT(listing(ours() / "etc/ld.so.cache"), ::testing::Contains(::testing::HasSubstr("/opt/drv/libdeep.so.3")));
  expect_same_links_but_dead(
      "/opt/drv", {"libgone.so.5 -> libgone.so.5.0", "libloop.so.1 -> libloop.so.2", "libloop.so.2 -> libloop.so.1"});
}

// The kernel follows at most 40 links in one lookup: past that a name does not resolve, for ldconfig nor for us, in
// whatever order the listing gives the links of a chain.
TEST_F(WriterVsLdconfig, AChainOfLinksPastTheKernelsLimitIsIndexedOnlyAsFarAsItResolves) {
  const fs::path drv = base() / "opt/drv";
  make_library(drv / "libchain.so.1.0", "libchain.so.1");
  for (int i = 1; i <= 45; ++i)
    fs::create_symlink("libchain.so.1." + std::to_string(i - 1), drv / ("libchain.so.1." + std::to_string(i)));
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
  EXPECT_THAT(links_in(ours() / "opt/drv"), ::testing::Contains("libchain.so.1 -> libchain.so.1.40"));
  std::vector<std::string> past_the_limit;
  for (int i = 41; i <= 45; ++i)
    past_the_limit.push_back("libchain.so.1." + std::to_string(i) + " -> libchain.so.1." + std::to_string(i - 1));
  expect_same_links_but_dead("/opt/drv", past_the_limit);
}

// Two folders with one soname: the one ldconfig scans first (drop-in order) wins; a folder that is another name of
// one already given (a symlink) is scanned once, under the first name.
TEST_F(WriterVsLdconfig, SeveralFoldersAreOrderedAsLdconfigScansThem) {
  make_library(base() / "opt/a/libdup.so.1.0", "libdup.so.1");
  make_library(base() / "opt/b/libdup.so.1.5", "libdup.so.1");
  make_library(base() / "opt/a/libonly_a.so.3", "libonly_a.so.3");
  fs::create_symlink("a", base() / "opt/c");
  fixtures::build_image_cache(base());
  run_both({"/opt/b", "/opt/a", "/opt/c"});
  EXPECT_TRUE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
  expect_same_links({"/opt/a", "/opt/b"});
}

// The prestart hook mounts driver libraries into the system directory: its image entries are rescanned, under the
// name ldconfig uses for it (/lib/x86_64-linux-gnu, listed first, is the same directory on a merged-/usr root).
TEST_F(WriterVsLdconfig, AFolderTheImageAlreadyIndexesIsRescannedUnderItsConfiguredName) {
  fixtures::build_image_cache(base());
  make_library(base() / "usr/lib/x86_64-linux-gnu/libnvsim.so.550.1", "libnvsim.so.1");
  run_both({"/usr/lib/x86_64-linux-gnu"});
  EXPECT_TRUE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
  expect_same_links({"/usr/lib/x86_64-linux-gnu"});
}

// glibc-hwcaps entries of the image keep their hwcap values and subdirectory names.
TEST_F(WriterVsLdconfig, TheImagesGlibcHwcapsEntriesAreKept) {
  fs::create_directories(base() / "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3");
  fs::copy_file(fs::canonical("/usr/lib/x86_64-linux-gnu/libz.so.1"),
                base() / "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1");
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  auto list = listing(ours() / "etc/ld.so.cache");
  EXPECT_EQ(list, listing(theirs() / "etc/ld.so.cache"));
  EXPECT_THAT(list, ::testing::Contains(::testing::HasSubstr("hwcap: \"x86-64-v3\"")));
}

// The documented difference: an entry of the image for a file that is gone stays (ldconfig drops it); nothing else
// differs.
TEST_F(WriterVsLdconfig, AStaleImageEntryIsKeptAndEverythingElseMatches) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  for (const auto& e : fs::directory_iterator(base() / "usr/lib/x86_64-linux-gnu"))
    if (e.path().filename().string().rfind("libzstd", 0) == 0) fs::remove(e.path());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  auto mine = listing(ours() / "etc/ld.so.cache");
  const std::string stale = "\tlibzstd.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libzstd.so.1";
  EXPECT_THAT(mine, ::testing::Contains(stale));
  mine.erase(std::remove(mine.begin(), mine.end(), stale), mine.end());
  EXPECT_EQ(mine, listing(theirs() / "etc/ld.so.cache"));
}

// Our system-paths drop-in names /lib64, /usr/lib64 ... in a root that is not Debian-like: ldconfig indexes them from
// then on, and so do we, where the image's cache had nothing from them.
TEST_F(WriterVsLdconfig, DirectoriesTheDropInsNewlyConfigureAreIndexedToo) {
  fs::remove(base() / "etc/debian_version");
  make_library(base() / "usr/lib64/libextra.so.1.0", "libextra.so.1");
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_TRUE(written_by_us(ours()));
  auto list = listing(ours() / "etc/ld.so.cache");
  EXPECT_EQ(list, listing(theirs() / "etc/ld.so.cache"));
  EXPECT_THAT(list, ::testing::Contains("\tlibextra.so.1 (libc6,x86-64) => /usr/lib64/libextra.so.1"));
  expect_same_links({"/usr/lib64"});
}

TEST_F(WriterVsLdconfig, EveryEntryOfTheImagesCacheIsStillThere) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  const auto before = listing(base() / "etc/ld.so.cache");
  run_both({"/opt/drv"});
  const auto after = listing(ours() / "etc/ld.so.cache");
  for (const auto& line : before) EXPECT_THAT(after, ::testing::Contains(line));
  EXPECT_EQ(after.size(), before.size() + 1);
}

// An image without a cache (musl, or never indexed) is left to ldconfig, which indexes all of it.
TEST_F(WriterVsLdconfig, AnImageWithoutACacheIsIndexedByLdconfig) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  run_both({"/opt/drv"});
  EXPECT_FALSE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
}

TEST_F(WriterVsLdconfig, AFolderWithGlibcHwcapsIsIndexedByLdconfig) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  make_library(base() / "opt/drv/glibc-hwcaps/x86-64-v3/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  run_both({"/opt/drv"});
  EXPECT_FALSE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
}

TEST_F(WriterVsLdconfig, ACacheOurReaderRefusesIsRebuiltByLdconfig) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  test::write_file(base() / "etc/ld.so.cache", std::string("ld.so-1.7.0\0\0\0\0\0", 16));
  run_both({"/opt/drv"});
  EXPECT_FALSE(written_by_us(ours()));
  EXPECT_EQ(listing(ours() / "etc/ld.so.cache"), listing(theirs() / "etc/ld.so.cache"));
}

// No process is started: the writer works without any ldconfig on the host.
TEST_F(WriterVsLdconfig, TheWriterNeedsNoLdconfigBinary) {
  make_library(base() / "opt/drv/libnvsim.so.550.1", "libnvsim.so.1");
  fixtures::build_image_cache(base());
  update_container_ldcache(base(), {"/opt/drv"}, "/nonexistent/ldconfig", CacheBuilder::kWriter);
  EXPECT_THAT(listing(base() / "etc/ld.so.cache"),
              ::testing::Contains("\tlibnvsim.so.1 (libc6,x86-64) => /opt/drv/libnvsim.so.1"));
}

// The loader finds an injected library through the cache we wrote: a program linked against it runs in the root.
TEST_F(WriterVsLdconfig, TheLoaderFindsAnInjectedLibraryThroughOurCache) {
  for (const std::string lib : {"libc.so.6", "ld-linux-x86-64.so.2"})
    fs::copy_file(fs::canonical("/usr/lib/x86_64-linux-gnu/" + lib), base() / "usr/lib/x86_64-linux-gnu" / lib);
  fs::create_directories(base() / "lib64");
  fs::copy_file(fs::canonical("/lib64/ld-linux-x86-64.so.2"), base() / "lib64/ld-linux-x86-64.so.2");
  make_library(base() / "opt/probe/libprobe.so.1.0", "libprobe.so.1");
  test::write_file(
      tmp_.path() / "probe.c",
      "#include <stdio.h>\nint answer(void);\nint main(void) { printf(\"%d\\n\", answer()); return 0; }\n");
  fixtures::must_run(
      {"/usr/bin/gcc", "-o", base() / "probe", tmp_.path() / "probe.c", base() / "opt/probe/libprobe.so.1.0"});
  fixtures::build_image_cache(base());
  auto before = test::run({"/usr/sbin/chroot", base(), "/probe"}, "", {});
  EXPECT_NE(before.exit_code, 0) << "the image's cache must not know the folder yet";
  update_container_ldcache(base(), {"/opt/probe"}, "/sbin/ldconfig", CacheBuilder::kWriter);
  EXPECT_TRUE(written_by_us(base()));
  auto after = test::run({"/usr/sbin/chroot", base(), "/probe"}, "", {});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "42\n");
}

}  // namespace
}  // namespace gpuhooks::ldcache
