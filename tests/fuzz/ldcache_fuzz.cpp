// A container's /etc/ld.so.cache (common/ldcache/cache_reader.h): the image's file, read by discovery and the hooks.
#include "common/ldcache/cache_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::fuzz::expect_no_crash([&] {
    for (const auto& entry : gpuhooks::ldcache::parse_cache(gpuhooks::fuzz::as_text(data, size), "ld.so.cache")) {
      (void)entry.arch();
      (void)gpuhooks::ldcache::describe_flags(entry.flags);
    }
  });
  return 0;
}
