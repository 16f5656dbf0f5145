// Finding driver libraries in a driver root: ld.so.cache first, then the reference's search directories; every hit
// resolved inside the root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/discovery/library_locator.h"
#include "common/error.h"
#include "discovery_simulated_host.h"

namespace gpuhooks::discovery {
namespace {

namespace fs = std::filesystem;
using gpuhooks::test::kLib64;

std::vector<std::string> paths(const std::vector<LocatedLibrary>& libs) {
  std::vector<std::string> out;
  for (const auto& l : libs) out.push_back(l.path);
  return out;
}

TEST(LibraryLocator, FindsTheNvmlSonameThroughTheCacheAndResolvesItToTheVersionedFile) {
  const auto& root = test::simulated_host();
  LibraryLocator locator(root);
  auto nvml = locator.find("libnvidia-ml.so.1");
  ASSERT_TRUE(nvml.has_value());
  EXPECT_EQ(nvml->path, kLib64 + "/libnvidia-ml.so.580.159.04");
  EXPECT_EQ(nvml->host_path, root.string() + kLib64 + "/libnvidia-ml.so.580.159.04");
  EXPECT_EQ(nvml->found_as, "libnvidia-ml.so.1");
}

TEST(LibraryLocator, ReportsEachFileOnceThoughTheCacheListsItUnderTwoDirectories) {
  // The cache has libcuda.so.1 and libcuda.so in lib64 and under /lib (absolute links into lib64, gpu-host §6).
  LibraryLocator locator(test::simulated_host());
  EXPECT_THAT(paths(locator.find_by_prefix({"libcuda.so"})), ::testing::ElementsAre(kLib64 + "/libcuda.so.580.159.04"));
}

TEST(LibraryLocator, KeepsAbsoluteSymlinksInsideTheDriverRoot) {
  // /lib/libnvidia-ml.so.1 -> /usr/local/nvidia/lib64/libnvidia-ml.so.1: must resolve under the root, not on this
  // machine, where /usr/local/nvidia does not exist.
  test::TempDir dir;
  fs::create_directories(dir / "usr/lib/x86_64-linux-gnu");
  fs::create_directories(dir / "opt/driver");
  test::write_file(dir / "opt/driver/libnvidia-ml.so.1.2.3", "x");
  fs::create_symlink("/opt/driver/libnvidia-ml.so.1.2.3", dir / "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1");
  LibraryLocator locator(dir.path());
  auto nvml = locator.find("libnvidia-ml.so.1");
  ASSERT_TRUE(nvml.has_value());
  EXPECT_EQ(nvml->path, "/opt/driver/libnvidia-ml.so.1.2.3");
  EXPECT_EQ(nvml->host_path, (dir / "opt/driver/libnvidia-ml.so.1.2.3").string());
}

TEST(LibraryLocator, SearchesTheReferenceDirectoriesWithoutACache) {
  test::TempDir dir;
  test::write_file(dir / "usr/lib64/libcuda.so.1.2.3", "x");
  test::write_file(dir / "lib/x86_64-linux-gnu/libcuda.so.1.2.3", "x");
  test::write_file(dir / "opt/lib/libcuda.so.9.9.9", "x");  // not a search directory
  LibraryLocator locator(dir.path());
  EXPECT_FALSE(locator.has_cache());
  EXPECT_THAT(paths(locator.find_by_prefix({"libcuda.so"})),
              ::testing::ElementsAre("/usr/lib64/libcuda.so.1.2.3", "/lib/x86_64-linux-gnu/libcuda.so.1.2.3"));
}

TEST(LibraryLocator, IgnoresEntriesThatAreNotRegularFiles) {
  test::TempDir dir;
  fs::create_directories(dir / "usr/lib64/libcuda.so.1");  // a directory
  fs::create_symlink("/nowhere/libcuda.so.2", dir / "usr/lib64/libcuda.so.2");
  LibraryLocator locator(dir.path());
  EXPECT_TRUE(locator.find_by_prefix({"libcuda.so"}).empty());
}

TEST(LibraryLocator, FindsCompat32LibrariesOnlyWhenAskedForI386) {
  LibraryLocator locator(test::simulated_host());
  EXPECT_TRUE(locator.find_by_prefix({"libcuda.so"}, ldcache::Arch::kI386).empty());
}

TEST(LibraryLocator, NamesACorruptCache) {
  test::TempDir dir;
  test::write_file(dir / "etc/ld.so.cache", "garbage");
  try {
    LibraryLocator locator(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "ld.so.cache " + (dir / "etc/ld.so.cache").string() +
                                         ": not an ld.so.cache (no \"glibc-ld.so.cache\" or \"ld.so-1.7.0\" magic)");
  }
}

TEST(LibraryLocator, JoinsInRootPathsOntoTheRoot) {
  EXPECT_EQ(join_root("/", "/dev/nvidia0"), "/dev/nvidia0");
  EXPECT_EQ(join_root("/tmp/sim/", "/dev/nvidia0"), "/tmp/sim/dev/nvidia0");
  EXPECT_EQ(join_root("/tmp/sim", "/dev/nvidia0"), "/tmp/sim/dev/nvidia0");
}

// nvidia-container-cli.ldcache names the driver root's cache: that file is read (here a corrupt one, named in the
// error), and /etc/ld.so.cache is not.
TEST(LibraryLocator, TheConfiguredCacheIsTheOneRead) {
  test::TempDir dir;
  test::write_file(dir / "etc/ld.so.cache", "garbage");
  test::write_file(dir / "etc/driver.cache", "also garbage");
  try {
    LibraryLocator locator(dir.path(), "/etc/driver.cache");
    ADD_FAILURE() << "a corrupt configured cache was not read";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr((dir / "etc/driver.cache").string()));
  }
  LibraryLocator none(dir.path(), "/etc/missing.cache");
  EXPECT_FALSE(none.has_cache());
}

}  // namespace
}  // namespace gpuhooks::discovery
