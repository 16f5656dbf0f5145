#pragma once
// Our own ld.so.cache update, in place of running ldconfig in the container (issue 11 §1): the image's cache is kept
// entry for entry (hwcap values and glibc-hwcaps subdirectories included) and the requested folders are indexed as
// glibc 2.36's ldconfig indexes a directory (folder_scan.h). Planning reads only, through the in-root API; applying
// makes the soname links, then writes the cache to a temporary name in the root's /etc and renames it over
// /etc/ld.so.cache, so a killed hook leaves the old cache or the new one, never part of one.
//
// Where the result differs from `ldconfig -f /etc/ld.so.conf -C /etc/ld.so.cache`, on purpose: ldconfig rebuilds the
// cache from every configured directory and drops what is no longer there; we scan only the requested folders and the
// directories our drop-ins newly configure, and keep every other entry as the image had it, even a stale one (an
// image's cache is its author's, and re-indexing the whole image is the cost we are avoiding). ldconfig also makes
// soname links in every configured directory; we make them in the directories we scan.
#include <optional>
#include <string>
#include <vector>

#include "common/ldcache/arch.h"
#include "common/ldcache/cache_reader.h"
#include "common/ldcache/folder_scan.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::ldcache {

// The largest /etc/ld.so.cache we read (a CUDA image's is a few hundred KiB); a larger one goes to ldconfig.
inline constexpr size_t kMaxCacheBytes = size_t{64} << 20;

// The image's cache when the writer can take it over; nullopt and *why_not otherwise, and then ldconfig builds it:
// another build arch than x86-64 (only its flag rules are known here), no /etc/ld.so.cache (musl images, images that
// never ran ldconfig: a fresh cache means indexing every configured directory, which is ldconfig's whole job), a cache
// that is not a regular file inside the root, larger than kMaxCacheBytes, or that parse_cache_image refuses (an
// old-format-only cache, a big-endian one, a damaged one, an extension we cannot carry over).
std::optional<CacheImage> read_image_cache(const rootfs::InRoot& root, Arch arch, std::string* why_not);

struct CachePlan {
  std::string use_ldconfig;                 // non-empty: a folder the writer does not index (folder_scan.h), and why
  std::vector<SonameLink> links;            // made first, in order
  std::vector<CacheEntry> entries;          // the new cache, in the loader's order (cache_order)
  std::vector<std::string> hwcaps_subdirs;  // the image's, unchanged, so that its entries' indices stay valid
  size_t kept = 0, dropped = 0, added = 0;  // image entries kept, image entries of rescanned folders, new entries
};

// Plans the cache for `folders` over `image`, reading the root's linker configuration (apply the update-ldcache
// drop-ins first: their order is ldconfig's directory order). A folder is scanned under the first configured name of
// the same directory (ldconfig's name for it); every image entry in that directory, under any name, is replaced by
// the scan. Entries equal for the loader's order (same key, flags and hwcap from two directories) are ordered by
// their directories' configuration order, as ldconfig scans; image entries of unconfigured directories go last.
// Directories the configuration names now but did not name in `configured_before` (the configuration before the
// drop-ins: our system-paths drop-in can add /lib64 and the like) are scanned too, as ldconfig would, unless the
// image's cache already has entries from them.
// Throws Error for a configuration ld_so_conf.h refuses.
CachePlan plan_cache(const rootfs::InRoot& root, const CacheImage& image, const std::vector<std::string>& folders,
                     const std::vector<std::string>& configured_before, Arch arch);

// Makes the links and writes the cache, and nothing else.
void apply_cache(const rootfs::InRoot& root, const CachePlan& plan);

}  // namespace gpuhooks::ldcache
