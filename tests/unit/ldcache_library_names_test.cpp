// ldconfig's reading of library names: the version order that picks the newest file and sorts the cache, and which
// names and subdirectories it looks at (glibc 2.36 elf/dl-cache.c _dl_cache_libcmp, elf/dl-is_dso.h).
#include <gtest/gtest.h>

#include "common/ldcache/library_names.h"

namespace gpuhooks::ldcache {
namespace {

TEST(LibraryNameOrder, NumbersCompareAsNumbersNotAsText) {
  EXPECT_GT(compare_library_names("libfoo.so.1.10", "libfoo.so.1.9"), 0);
  EXPECT_LT(compare_library_names("libfoo.so.2", "libfoo.so.10"), 0);
  EXPECT_EQ(compare_library_names("libfoo.so.01", "libfoo.so.1"), 0);
}

TEST(LibraryNameOrder, ALongerNameSortsAfterItsPrefix) {
  EXPECT_GT(compare_library_names("libfoo.so.1.0", "libfoo.so.1"), 0);
  EXPECT_LT(compare_library_names("libfoo.so", "libfoo.so.1"), 0);
}

TEST(LibraryNameOrder, ADigitSortsAfterAnyOtherCharacter) {
  EXPECT_GT(compare_library_names("lib1", "libz"), 0);
  EXPECT_LT(compare_library_names("libz", "lib1"), 0);
}

TEST(LibraryNameOrder, OtherCharactersCompareByteByByte) {
  EXPECT_LT(compare_library_names("liba.so", "libb.so"), 0);
  EXPECT_EQ(compare_library_names("libcuda.so.1", "libcuda.so.1"), 0);
}

TEST(LibraryNames, LibAndLoaderNamesWithSoAreLibraries) {
  for (const char* n :
       {"libz.so.1", "libz.so", "libfoo-1.2.so", "ld-linux-x86-64.so.2", "ld-2.31.so", "ld.so.1", "ld64.so.2"})
    EXPECT_TRUE(is_library_name(n)) << n;
}

TEST(LibraryNames, OtherNamesAndPrelinkTemporariesAreNot) {
  for (const char* n : {"libz.a", "foo.so.1", "README", "libz.so.1.#prelink#", "libz.so.1.#prelink#.AbC123"})
    EXPECT_FALSE(is_library_name(n)) << n;
}

TEST(LibraryNames, HardwareCapabilityDirectoriesAreNamed) {
  for (const char* n : {"glibc-hwcaps", "tls", "haswell", "x86_64"}) EXPECT_TRUE(is_hwcap_dir_name(n)) << n;
  EXPECT_FALSE(is_hwcap_dir_name("nvidia"));
}

}  // namespace
}  // namespace gpuhooks::ldcache
