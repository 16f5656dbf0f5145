// A container's /etc/ld.so.cache (common/ldcache/cache_reader.h): the image's file, read by discovery and the hooks.
// The cache writer's side too: a cache it takes (parse_cache_image, extension included) must come back entry for
// entry after it is written again (encode_cache), or the writer would change what the image's loader finds.
#include <cstdlib>

#include "common/ldcache/cache_reader.h"
#include "common/ldcache/cache_writer.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = gpuhooks::fuzz::as_text(data, size);
  gpuhooks::fuzz::expect_no_crash([&] {
    for (const auto& entry : gpuhooks::ldcache::parse_cache(text, "ld.so.cache")) {
      (void)entry.arch();
      (void)gpuhooks::ldcache::describe_flags(entry.flags);
    }
  });
  gpuhooks::fuzz::expect_no_crash([&] {
    const auto image = gpuhooks::ldcache::parse_cache_image(text, "ld.so.cache");
    const auto again = gpuhooks::ldcache::parse_cache_image(
        gpuhooks::ldcache::encode_cache(image.entries, image.hwcaps_subdirs, "fuzz"), "rewritten");
    if (again.entries != image.entries || again.hwcaps_subdirs != image.hwcaps_subdirs) std::abort();
  });
  return 0;
}
