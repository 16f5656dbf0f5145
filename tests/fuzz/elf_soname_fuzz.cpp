// DT_SONAME of a library (common/ldcache/elf_library.h): an image's library, which the cache writer indexes, or a
// driver root's, which may be an image's (--driver-root) or a directory a user pointed the CLI at.
#include "common/ldcache/elf_library.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::UniqueFd fd = gpuhooks::fuzz::memory_file(gpuhooks::fuzz::as_text(data, size));
  gpuhooks::fuzz::expect_no_crash(
      [&] { (void)gpuhooks::ldcache::read_elf_soname("/proc/self/fd/" + std::to_string(fd.get())); });
  return 0;
}
