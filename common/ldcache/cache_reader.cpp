#include "common/ldcache/cache_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::ldcache {
namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache";
constexpr std::string_view kNewVersion = "1.1";
constexpr size_t kOldHeaderSize = 16;  // magic[11] padded to 12, nlibs u32
constexpr size_t kOldEntrySize = 12;   // flags i32, key u32, value u32
constexpr size_t kNewHeaderSize = 48;
constexpr size_t kNewEntrySize = 24;
constexpr uint8_t kLittleEndian = 2;
constexpr uint8_t kBigEndian = 3;

template <typename T>
T load(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

Error corrupt(const std::string& origin, const std::string& why) { return Error("ld.so.cache " + origin + ": " + why); }

// Where the new-format header starts: 0, or after the old table when the file has the old header in front.
size_t new_header_offset(std::string_view bytes, const std::string& origin) {
  if (bytes.substr(0, kNewMagic.size()) == kNewMagic) return 0;
  if (bytes.substr(0, kOldMagic.size()) != kOldMagic) {
    throw corrupt(origin, "not an ld.so.cache (no \"glibc-ld.so.cache\" or \"ld.so-1.7.0\" magic)");
  }
  if (bytes.size() < kOldHeaderSize) throw corrupt(origin, "truncated in the old-format header");
  uint64_t old_libs = load<uint32_t>(bytes, 12);
  uint64_t end = kOldHeaderSize + old_libs * kOldEntrySize;
  uint64_t aligned = (end + 7) & ~uint64_t{7};  // glibc aligns the new header to __alignof__(cache_file_new)
  if (aligned >= bytes.size() || bytes.substr(aligned, kNewMagic.size()) != kNewMagic) {
    // An old-only cache (glibc < 2.32 with -c old) carries no new-format section; no loader we target reads it.
    throw corrupt(origin, "old-format cache without a \"glibc-ld.so.cache1.1\" section is not supported");
  }
  return aligned;
}

std::string read_string(std::string_view section, uint32_t offset, const std::string& origin, size_t index,
                        const char* what) {
  if (offset >= section.size()) {
    throw corrupt(origin, "entry " + std::to_string(index) + " " + what + " offset " + std::to_string(offset) +
                              " is outside the file");
  }
  size_t end = section.find('\0', offset);
  if (end == std::string_view::npos) {
    throw corrupt(origin, "entry " + std::to_string(index) + " " + what + " is not NUL-terminated");
  }
  return std::string(section.substr(offset, end - offset));
}

}  // namespace

Arch CacheEntry::arch() const {
  switch (flags & kFlagArchMask) {
    case kFlagArchX8664: return Arch::kX86_64;
    case kFlagArchI386: return Arch::kI386;
    case kFlagArchAarch64: return Arch::kAarch64;
    default: return Arch::kOther;
  }
}

std::string describe_flags(int32_t flags) {
  std::string type = (flags & kFlagTypeMask) == kFlagElfLibc6 ? "libc6"
                     : (flags & kFlagTypeMask) == kFlagElf    ? "ELF"
                                                              : "type " + std::to_string(flags & kFlagTypeMask);
  switch (flags & kFlagArchMask) {
    case kFlagArchI386: return type;
    case kFlagArchX8664: return type + ",x86-64";
    case kFlagArchX32: return type + ",x32";
    case kFlagArchAarch64: return type + ",AArch64";
    default: return type + ",arch " + std::to_string((flags & kFlagArchMask) >> 8);
  }
}

namespace {

constexpr uint32_t kExtensionMagic = static_cast<uint32_t>(-358342284);
constexpr uint32_t kTagGenerator = 0;
constexpr uint32_t kTagGlibcHwcaps = 1;

// Extension offsets count from the start of the file (the loader's file_base), string offsets from the new header.
std::vector<std::string> read_extension(std::string_view file, std::string_view section, const std::string& origin) {
  const uint64_t at = load<uint32_t>(section, 32);
  if (at == 0) return {};
  if (at % 4 != 0 || at + 8 > file.size()) throw corrupt(origin, "extension directory outside the file");
  if (load<uint32_t>(file, at) != kExtensionMagic) throw corrupt(origin, "bad extension magic");
  const uint64_t count = load<uint32_t>(file, at + 4);
  if (at + 8 + count * 16 > file.size()) throw corrupt(origin, "extension sections outside the file");
  std::vector<std::string> hwcaps;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t s = at + 8 + i * 16;
    const uint32_t tag = load<uint32_t>(file, s);
    const uint64_t offset = load<uint32_t>(file, s + 8), size = load<uint32_t>(file, s + 12);
    if (offset + size > file.size()) throw corrupt(origin, "extension section outside the file");
    if (tag == kTagGenerator) continue;
    if (tag != kTagGlibcHwcaps) throw corrupt(origin, "unknown extension section tag " + std::to_string(tag));
    if (size % 4 != 0) throw corrupt(origin, "glibc-hwcaps section size is not a multiple of 4");
    for (uint64_t k = 0; k < size / 4; ++k)
      hwcaps.push_back(read_string(section, load<uint32_t>(file, offset + k * 4), origin, k, "glibc-hwcaps name"));
  }
  return hwcaps;
}

}  // namespace

std::vector<CacheEntry> parse_cache(std::string_view bytes, const std::string& origin) {
  size_t start = new_header_offset(bytes, origin);
  std::string_view section = bytes.substr(start);
  if (section.size() < kNewHeaderSize) throw corrupt(origin, "truncated in the header");
  if (section.substr(kNewMagic.size(), kNewVersion.size()) != kNewVersion) {
    throw corrupt(origin, "unsupported format version \"" +
                              std::string(section.substr(kNewMagic.size(), kNewVersion.size())) + "\" (want 1.1)");
  }
  uint8_t byte_order = load<uint8_t>(section, 28);
  if (byte_order == kBigEndian) throw corrupt(origin, "big-endian cache on a little-endian host");
  if (byte_order != kLittleEndian && byte_order != 0) {
    throw corrupt(origin, "invalid byte-order flag " + std::to_string(byte_order));
  }
  uint64_t nlibs = load<uint32_t>(section, 20);
  uint64_t entries_end = kNewHeaderSize + nlibs * kNewEntrySize;
  if (entries_end > section.size()) {
    throw corrupt(origin, "truncated: header announces " + std::to_string(nlibs) + " entries (" +
                              std::to_string(entries_end) + " bytes) but the section has " +
                              std::to_string(section.size()) + " bytes");
  }
  std::vector<CacheEntry> entries;
  entries.reserve(nlibs);
  for (size_t i = 0; i < nlibs; ++i) {
    size_t at = kNewHeaderSize + i * kNewEntrySize;
    CacheEntry e;
    e.flags = load<int32_t>(section, at);
    e.key = read_string(section, load<uint32_t>(section, at + 4), origin, i, "key");
    e.path = read_string(section, load<uint32_t>(section, at + 8), origin, i, "value");
    e.hwcap = load<uint64_t>(section, at + 16);
    entries.push_back(std::move(e));
  }
  return entries;
}

CacheImage parse_cache_image(std::string_view bytes, const std::string& origin) {
  CacheImage image{parse_cache(bytes, origin), {}};
  image.hwcaps_subdirs = read_extension(bytes, bytes.substr(new_header_offset(bytes, origin)), origin);
  for (size_t i = 0; i < image.entries.size(); ++i) {
    const uint64_t hwcap = image.entries[i].hwcap;
    if ((hwcap >> 32 & ~uint64_t{0x3ff}) == kHwcapExtension >> 32 &&
        (hwcap & 0xffffffff) >= image.hwcaps_subdirs.size())
      throw corrupt(origin, "entry " + std::to_string(i) + " names glibc-hwcaps subdirectory " +
                                std::to_string(hwcap & 0xffffffff) + " that the extension does not list");
  }
  return image;
}

std::vector<CacheEntry> read_cache(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw sys_error("ld.so.cache " + file.string() + ": cannot open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error("ld.so.cache " + file.string() + ": cannot stat");
  if (!S_ISREG(st.st_mode)) throw Error("ld.so.cache " + file.string() + ": not a regular file");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("ld.so.cache " + file.string() + ": cannot read");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return parse_cache(bytes, file.string());
}

}  // namespace gpuhooks::ldcache
