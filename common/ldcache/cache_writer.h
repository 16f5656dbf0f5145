#pragma once
// Writing glibc's ld.so.cache: the order the loader binary-searches, and the bytes of the new format alone
// ("glibc-ld.so.cache1.1", what glibc 2.32+ ldconfig writes by default; loaders since glibc 2.3 read it at the start
// of the file). Layout as in cache_reader.h.
#include <string>
#include <string_view>
#include <vector>

#include "common/ldcache/cache_reader.h"

namespace gpuhooks::ldcache {

// ldconfig's `compare` (elf/cache.c), which the loader's search (elf/dl-cache.c search_cache) depends on: keys in
// descending compare_library_names order; for one key, flags descending, then entries naming a glibc-hwcaps
// subdirectory first (by that name, ascending), then more hwcap bits first, then the larger hwcap first. True when
// `a` sorts strictly before `b`; equal entries keep their order (ldconfig inserts after its equals, so the first
// directory scanned wins a tie, and the loader takes the first match).
bool cache_order(const CacheEntry& a, const CacheEntry& b, const std::vector<std::string>& hwcaps_subdirs);

// The cache file for `entries`, written in the order given (sort them with cache_order first). The string table
// holds each distinct string once (ldconfig also shares suffixes; the loader only follows offsets). The extension
// names `generator` and, when there are any, the glibc-hwcaps subdirectories, at the indices the entries use.
std::string encode_cache(const std::vector<CacheEntry>& entries, const std::vector<std::string>& hwcaps_subdirs,
                         std::string_view generator);

}  // namespace gpuhooks::ldcache
