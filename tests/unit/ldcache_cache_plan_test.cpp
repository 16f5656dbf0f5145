// Applying a cache plan: the soname links, then the cache, each link on its own (ldconfig's "Can't link").
#include <gtest/gtest.h>

#include <filesystem>

#include "common/ldcache/cache_plan.h"
#include "common/ldcache/cache_reader.h"
#include "support/test_support.h"

namespace gpuhooks::ldcache {
namespace {

namespace fs = std::filesystem;

TEST(ApplyCache, ALinkThatCannotBeMadeIsSkippedAndTheLinksAfterItAndTheCacheAreStillWritten) {
  test::TempDir tmp;
  const fs::path root = tmp.path();
  fs::create_directories(root / "etc");
  fs::create_directories(root / "opt/drv");
  test::write_file(root / "opt/file", "a file where the second link needs a folder\n");
  CachePlan plan;
  plan.links = {{"/opt/drv/liba.so.1", "liba.so.1.0"},
                {"/opt/file/libb.so.1", "libb.so.1.0"},
                {"/opt/drv/libc.so.1", "libc.so.1.0"},
                {"/opt/drv/libd.so.1", "libd.so.1.0"}};
  plan.entries = {{"liba.so.1", "/opt/drv/liba.so.1", 0x0303, 0}};
  apply_cache(rootfs::InRoot(root), plan);
  EXPECT_EQ(fs::read_symlink(root / "opt/drv/liba.so.1"), "liba.so.1.0");
  EXPECT_EQ(fs::read_symlink(root / "opt/drv/libc.so.1"), "libc.so.1.0");
  EXPECT_EQ(fs::read_symlink(root / "opt/drv/libd.so.1"), "libd.so.1.0");
  EXPECT_TRUE(fs::is_regular_file(root / "opt/file"));
  auto cache = parse_cache_image(test::read_file(root / "etc/ld.so.cache"), "/etc/ld.so.cache");
  ASSERT_EQ(cache.entries.size(), 1u);
  EXPECT_EQ(cache.entries[0].path, "/opt/drv/liba.so.1");
}

TEST(ApplyCache, AnExistingLinkToTheSameFileIsLeftAndAnOutdatedOneIsReplaced) {
  test::TempDir tmp;
  const fs::path root = tmp.path();
  fs::create_directories(root / "etc");
  fs::create_directories(root / "opt/drv");
  fs::create_symlink("liba.so.1.0", root / "opt/drv/liba.so.1");
  fs::create_symlink("libb.so.1.0", root / "opt/drv/libb.so.1");
  CachePlan plan;
  plan.links = {{"/opt/drv/liba.so.1", "liba.so.1.0"}, {"/opt/drv/libb.so.1", "libb.so.1.2"}};
  apply_cache(rootfs::InRoot(root), plan);
  EXPECT_EQ(fs::read_symlink(root / "opt/drv/liba.so.1"), "liba.so.1.0");
  EXPECT_EQ(fs::read_symlink(root / "opt/drv/libb.so.1"), "libb.so.1.2");
}

}  // namespace
}  // namespace gpuhooks::ldcache
