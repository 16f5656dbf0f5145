#pragma once
// Our own reader of glibc's /etc/ld.so.cache (the "glibc-ld.so.cache1.1" format, alone or behind the old
// "ld.so-1.7.0" header that glibc < 2.32 wrote in front of it). Used by discovery to find driver libraries the way
// the dynamic loader would (nvidia-hooks.md §3.2 "ldcache parser", libnvidia-container.md A.1.4).
//
// Layout (glibc elf/dl-cache.h, little endian on x86-64):
//   new header  48 bytes: magic "glibc-ld.so.cache" + version "1.1", nlibs u32, len_strings u32, flags u8
//               (2 = little endian, 3 = big endian, 0 = unknown), 3 pad, extension_offset u32, 3 x u32 unused
//   entries     nlibs x 24 bytes: flags i32, key u32, value u32, osversion u32, hwcap u64
//   strings     key/value are offsets from the start of the new header
//   extension   (glibc 2.33+) at extension_offset, 4-aligned; it and its section offsets count from the file start:
//               magic u32 0xeaa42174, count u32, count x {tag u32, flags u32, offset u32, size u32}; tag 0 the
//               generator string, tag 1 the glibc-hwcaps subdirectory names (u32 string offsets; an entry whose
//               hwcap has bit 62 set names one by its low 32 bits)
//   old header  (optional, in front) "ld.so-1.7.0" + pad to 12, nlibs u32, nlibs x 12-byte entries, then the new
//               header at the next 8-byte boundary.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/ldcache/arch.h"

namespace gpuhooks::ldcache {

// The entry flag bits the reader interprets (glibc elf/ldconfig.h / dl-cache.h).
inline constexpr int32_t kFlagTypeMask = 0x00ff;
inline constexpr int32_t kFlagElf = 0x0001;
inline constexpr int32_t kFlagElfLibc6 = 0x0003;
inline constexpr int32_t kFlagArchMask = 0xff00;
inline constexpr int32_t kFlagArchI386 = 0x0000;  // 32-bit x86 has no arch bits: compat32 libraries
inline constexpr int32_t kFlagArchX8664 = 0x0300;
inline constexpr int32_t kFlagArchX32 = 0x0800;
inline constexpr int32_t kFlagArchAarch64 = 0x0a00;

struct CacheEntry {
  std::string key;   // the soname ldconfig indexed, e.g. "libcuda.so.1"
  std::string path;  // the path the loader opens, e.g. "/usr/local/nvidia/lib64/libcuda.so.1"
  int32_t flags = 0;
  uint64_t hwcap = 0;

  bool is_elf() const { return (flags & kFlagTypeMask & kFlagElf) != 0; }
  Arch arch() const;
  bool operator==(const CacheEntry&) const = default;
};

inline constexpr uint64_t kHwcapExtension = uint64_t{1} << 62;  // DL_CACHE_HWCAP_EXTENSION

// A whole cache: its entries in file order and the glibc-hwcaps subdirectory names its extension lists (index =
// position), which entries with kHwcapExtension refer to.
struct CacheImage {
  std::vector<CacheEntry> entries;
  std::vector<std::string> hwcaps_subdirs;
};

// "libc6,x86-64" as `ldconfig -p` prints it: for messages and debugging.
std::string describe_flags(int32_t flags);

// Parses a whole cache image. `origin` names the file in errors. Throws Error for anything that is not a complete,
// well-formed cache: wrong magic, unsupported version, foreign byte order, entries or strings outside the file.
std::vector<CacheEntry> parse_cache(std::string_view bytes, const std::string& origin);
// As parse_cache, with the extension read too. Also throws for an extension we could not write back unchanged: a
// bad magic, sections outside the file, a tag other than the generator and glibc-hwcaps, an entry naming a
// glibc-hwcaps subdirectory the extension does not list.
CacheImage parse_cache_image(std::string_view bytes, const std::string& origin);

// Reads and parses `file`. Throws Error naming the file when it cannot be read or parsed.
std::vector<CacheEntry> read_cache(const std::filesystem::path& file);

}  // namespace gpuhooks::ldcache
