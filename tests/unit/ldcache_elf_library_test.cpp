// What the cache writer reads from a shared object (common/ldcache/elf_library.h), through its window of the file:
// names wherever they lie, long ones re-read from their start, and one longer than ldconfig reads refused.
#include <gtest/gtest.h>

#include <string>

#include "common/ldcache/elf_library.h"
#include "ldcache_fixtures.h"

namespace gpuhooks::ldcache {
namespace {

using fixtures::make_library;

std::optional<std::string> soname_of(const std::string& soname) {
  test::TempDir tmp;
  make_library(tmp.path() / "lib.so", soname);
  return read_elf_soname((tmp.path() / "lib.so").string());
}

TEST(ElfLibrary, ASonameAndTheLibc6NeedAreRead) {
  test::TempDir tmp;
  make_library(tmp.path() / "libfoo.so.1.2", "libfoo.so.1", fixtures::Kind::kX8664,
               "#include <stdio.h>\nint answer(void) { return puts(\"42\"); }\n");
  UniqueFd fd(::open((tmp.path() / "libfoo.so.1.2").c_str(), O_RDONLY | O_CLOEXEC));
  auto lib = read_elf_library(fd.get());
  ASSERT_TRUE(lib);
  EXPECT_EQ(lib->soname, "libfoo.so.1");
  EXPECT_TRUE(lib->elf64);
  EXPECT_TRUE(lib->libc6);  // it needs libc.so.6
}

// A name that starts inside the bytes read for an earlier one but ends past them is read again from its start.
TEST(ElfLibrary, ANameLongerThanTheRestOfTheWindowIsReadWhole) {
  for (size_t len : {100u, 2000u, 4000u, 4095u}) {
    const std::string soname = "lib" + std::string(len - 3, 'x');
    EXPECT_EQ(soname_of(soname), soname) << len;
  }
}

// ldconfig reads a name into a buffer of 4096 bytes: a longer one is a truncated file, and the library is skipped.
TEST(ElfLibrary, ANameLongerThanLdconfigReadsIsRefused) {
  EXPECT_EQ(soname_of("lib" + std::string(4200, 'y')), std::nullopt);
}

}  // namespace
}  // namespace gpuhooks::ldcache
