// Reading a container's linker configuration (common/ldcache/ld_so_conf.h), through the in-root API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "common/error.h"
#include "common/ldcache/ld_so_conf.h"
#include "common/rootfs/isolated_root.h"
#include "common/sanitizer.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;
using Paths = std::vector<std::string>;
using ::testing::HasSubstr;

TEST(LdSoConfSystemPaths, DebianLikeAmd64PutsMultiarchDirsFirst) {
  EXPECT_EQ(ldcache::system_search_paths(true, ldcache::Arch::kX86_64),
            (Paths{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"}));
}

TEST(LdSoConfSystemPaths, DebianLikeArm64PutsMultiarchDirsFirst) {
  EXPECT_EQ(ldcache::system_search_paths(true, ldcache::Arch::kAarch64),
            (Paths{"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"}));
}

TEST(LdSoConfSystemPaths, OtherAmd64AddsLib64AndLibx32) {
  EXPECT_EQ(ldcache::system_search_paths(false, ldcache::Arch::kX86_64),
            (Paths{"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/libx32", "/usr/libx32"}));
}

TEST(LdSoConfSystemPaths, OtherArm64AddsLib64) {
  EXPECT_EQ(ldcache::system_search_paths(false, ldcache::Arch::kAarch64),
            (Paths{"/lib", "/usr/lib", "/lib64", "/usr/lib64"}));
}

TEST(LdSoConfDebianLike, DebianVersionMustBeARegularFile) {
  TempDir root;
  rootfs::InRoot r(root.path());
  EXPECT_FALSE(ldcache::is_debian_like(r));
  std::filesystem::create_directories(root / "etc/debian_version");
  EXPECT_FALSE(ldcache::is_debian_like(r));
  std::filesystem::remove(root / "etc/debian_version");
  test::write_file(root / "etc/debian_version", "12.5\n");
  EXPECT_TRUE(ldcache::is_debian_like(r));
}

TEST(LdSoConfDirs, LinesCommentsAndBlankLinesAreRead) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "# comment\n/opt/a\n\n  /opt/b/  # trailing comment\nhwcap 1 x\n");
  EXPECT_EQ(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), (Paths{"/opt/a", "/opt/b"}));
}

TEST(LdSoConfDirs, IncludesAreFollowedRecursivelyInSortedGlobOrder) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n/opt/last\n");
  test::write_file(root / "etc/ld.so.conf.d/b.conf", "/opt/b\n");
  test::write_file(root / "etc/ld.so.conf.d/a.conf", "/opt/a\ninclude /etc/more/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/c.notconf", "/opt/ignored\n");
  test::write_file(root / "etc/more/x.conf", "/opt/x\n");
  EXPECT_EQ(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"),
            (Paths{"/opt/a", "/opt/x", "/opt/b", "/opt/last"}));
}

TEST(LdSoConfDirs, RelativeIncludeIsTakenFromTheIncludingFilesDirectory) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include ld.so.conf.d/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/a.conf", "/opt/a\n");
  EXPECT_EQ(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), (Paths{"/opt/a"}));
}

TEST(LdSoConfDirs, MissingFilesAndUnmatchedIncludesAreIgnored) {
  TempDir root;
  rootfs::InRoot r(root.path());
  EXPECT_TRUE(ldcache::configured_dirs(r, "/etc/ld.so.conf").empty());
  test::write_file(root / "etc/ld.so.conf", "include /nowhere/*.conf\ninclude /etc/missing.conf\n/opt/a\n");
  EXPECT_EQ(ldcache::configured_dirs(r, "/etc/ld.so.conf"), (Paths{"/opt/a"}));
}

TEST(LdSoConfDirs, IncludeCyclesReadEachFileOnce) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf\n/opt/a\n");
  EXPECT_EQ(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), (Paths{"/opt/a"}));
}

TEST(LdSoConfDirs, IncludeSymlinkedToAHostFileIsReadInsideTheRoot) {
  TempDir root, host;
  test::write_file(host / "evil.conf", "/host/only\n");
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  std::filesystem::create_directories(root / "etc/ld.so.conf.d");
  std::filesystem::create_symlink(host / "evil.conf", root / "etc/ld.so.conf.d/evil.conf");
  EXPECT_TRUE(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf").empty());
}

TEST(LdSoConfGlob, WildcardsInDirectoryComponentsMatchToo) {
  TempDir root;
  test::write_file(root / "etc/d1/x.conf", "");
  test::write_file(root / "etc/d2/x.conf", "");
  test::write_file(root / "etc/d2/.hidden.conf", "");
  EXPECT_EQ(ldcache::glob_in_root(rootfs::InRoot(root.path()), "/etc/d*/*.conf"),
            (Paths{"/etc/d1/x.conf", "/etc/d2/x.conf"}));
}

// The image writes the include line; update-ldcache reads it in the isolated child, on a stack of its own. A
// line of thousands of "./" components must neither overflow that stack nor stop the hook.
TEST(LdSoConfGlob, AnIncludeOfThousandsOfComponentsIsReadInTheIsolatedChild) {
  TempDir root;
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "./";
  test::write_file(root / "etc/ld.so.conf", "include /etc/" + deep + "x.conf\n");
  test::write_file(root / "etc/x.conf", "/opt/deep\n");
  rootfs::run_isolated_in_root(root.path(), "reader", [] {
    rootfs::InRoot inside("/");
    auto dirs = ldcache::configured_dirs(inside, "/etc/ld.so.conf");
    inside.create_file("/result", dirs.empty() ? "none" : dirs.front(), 0644);
  });
  EXPECT_EQ(test::read_file(root / "result"), "/opt/deep");
}

TEST(LdSoConfGlob, APatternLongerThanPathMaxMatchesNothing) {
  TempDir root;
  test::write_file(root / "etc/x.conf", "/opt/x\n");
  std::string deep;
  for (int i = 0; i < 3000; ++i) deep += "./";
  EXPECT_TRUE(ldcache::glob_in_root(rootfs::InRoot(root.path()), "/etc/" + deep + "x.conf").empty());
  EXPECT_EQ(ldcache::glob_in_root(rootfs::InRoot(root.path()), "/etc/./x.conf").size(), 1u);
}

TEST(LdSoConfNormalise, TrailingAndRepeatedSlashesAreRemoved) {
  EXPECT_EQ(ldcache::normalise_dir("/usr/lib/"), "/usr/lib");
  EXPECT_EQ(ldcache::normalise_dir("//lib//x"), "/lib/x");
  EXPECT_EQ(ldcache::normalise_dir("/"), "/");
  EXPECT_EQ(ldcache::normalise_dir(""), "");
}

// Two links back to their own directory make every wildcard step double the paths: 30 steps were 2^30 listings.
TEST(LdSoConfGlob, AnIncludeOverSymlinkLoopsIsRefusedWithinTheEntryBudget) {
  TempDir root;
  std::filesystem::create_directories(root / "l");
  std::filesystem::create_symlink(".", root / "l/a");
  std::filesystem::create_symlink(".", root / "l/b");
  std::string pattern = "/l";
  for (int i = 0; i < 30; ++i) pattern += "/*";
  test::write_file(root / "etc/ld.so.conf", "include " + pattern + "\n");
  const auto start = std::chrono::steady_clock::now();
  try {
    ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("visits more than 65536 directory entries"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// Many include lines share one budget: each under the bound, together over it.
TEST(LdSoConfGlob, ManyIncludeLinesShareOneEntryBudget) {
  TempDir root;
  for (int i = 0; i < 100; ++i) test::write_file(root / ("d/f" + std::to_string(i)), "");
  std::string conf;
  for (int i = 0; i < 1000; ++i) conf += "include /d/x" + std::to_string(i) + "* /d/*\n";
  test::write_file(root / "etc/ld.so.conf", conf);
  EXPECT_THROW(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), Error);
}

#if !GPUHOOKS_ASAN  // ASan's shadow memory alone is larger than the limit below
// What a reading keeps of its lookups is bounded: a 1 MiB configuration 15 folders of 255-byte names deep, of
// 75,000 distinct relative patterns under a missing folder, spends no budget (nothing is listed) while each pattern
// is 3.9 KB long once its folder is put in front: 290 MB of keys, were each one kept. Read in a child with 128 MiB
// more address space than it started with.
TEST(LdSoConfGlob, DistinctLongPatternsCostNoMemoryBeyondTheBound) {
  TempDir root;
  std::string folder = "/etc";
  for (int i = 0; i < 15; ++i) folder += "/" + std::string(255, char('a' + i));
  std::string conf;
  for (int i = 0; conf.size() < (1 << 20) - 64; ++i) conf += "include m/*" + std::to_string(i) + "\n";
  test::write_file(root / folder.substr(1) / "big.conf", conf);
  test::write_file(root / "etc/ld.so.conf", "include " + folder + "/big.conf\n/opt/x\n");
  pid_t pid = ::fork();
  if (pid == 0) {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t limit = rlim_t(pages) * ::sysconf(_SC_PAGESIZE) + (128ULL << 20);
    struct rlimit lim {
      limit, limit
    };
    ::setrlimit(RLIMIT_AS, &lim);
    try {
      auto dirs = ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf");
      ::_exit(dirs == Paths{"/opt/x"} ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}
#endif

TEST(LdSoConfGlob, AnOrdinaryDropInDirectoryIsWellWithinTheBudget) {
  TempDir root;
  for (int i = 0; i < 200; ++i)
    test::write_file(root / ("etc/ld.so.conf.d/" + std::to_string(i) + ".conf"), "/opt/x\n");
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  EXPECT_EQ(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), (Paths{"/opt/x"}));
}

// ldconfig reads a configuration line with getline: a sparse multi-GB file without a newline is one allocation of its
// size. Refused before ldconfig runs, whether it is ld.so.conf itself or an included file.
TEST(LdSoConfDirs, AConfigurationFileLargerThanOneMiBIsRefused) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "");
  ASSERT_EQ(::truncate((root / "etc/ld.so.conf").c_str(), 4LL << 30), 0);
  try {
    ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "linker configuration file /etc/ld.so.conf is 4294967296 bytes, more than 1 MiB; refusing to run "
              "ldconfig on it");
  }
}

TEST(LdSoConfDirs, AnIncludedFileLargerThanOneMiBIsRefused) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/big.conf", "");
  ASSERT_EQ(::truncate((root / "etc/ld.so.conf.d/big.conf").c_str(), (1 << 20) + 1), 0);
  EXPECT_THROW(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"), Error);
  ASSERT_EQ(::truncate((root / "etc/ld.so.conf.d/big.conf").c_str(), 1 << 20), 0);  // exactly 1 MiB is fine
  EXPECT_NO_THROW(ldcache::configured_dirs(rootfs::InRoot(root.path()), "/etc/ld.so.conf"));
}
