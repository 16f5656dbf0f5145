#include "common/ldcache/cache_writer.h"

#include <bit>
#include <cstring>
#include <map>

#include "common/error.h"
#include "common/ldcache/library_names.h"

namespace gpuhooks::ldcache {
namespace {

constexpr size_t kHeaderSize = 48;
constexpr size_t kEntrySize = 24;
constexpr uint32_t kExtensionMagic = static_cast<uint32_t>(-358342284);
constexpr uint8_t kLittleEndian = 2;

// The glibc-hwcaps subdirectory an entry names, or nullptr (dl_cache_hwcap_extension: bit 62 alone above the
// 10 ISA-level bits).
const std::string* hwcaps_name(const CacheEntry& e, const std::vector<std::string>& subdirs) {
  if (((e.hwcap >> 32) & ~uint64_t{0x3ff}) != (kHwcapExtension >> 32)) return nullptr;
  const uint64_t index = e.hwcap & 0xffffffff;
  return index < subdirs.size() ? &subdirs[index] : nullptr;
}

template <typename T>
void store(std::string& out, size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof value);
}

}  // namespace

bool cache_order(const CacheEntry& a, const CacheEntry& b, const std::vector<std::string>& hwcaps_subdirs) {
  if (int c = compare_library_names(a.key, b.key); c != 0) return c > 0;
  if (a.flags != b.flags) return a.flags > b.flags;
  const std::string* ha = hwcaps_name(a, hwcaps_subdirs);
  const std::string* hb = hwcaps_name(b, hwcaps_subdirs);
  if ((ha != nullptr) != (hb != nullptr)) return ha != nullptr;
  if (ha != nullptr) return *ha < *hb;  // ldconfig's hwcap for these is 0: the name decides, else a tie
  const int bits_a = std::popcount(a.hwcap), bits_b = std::popcount(b.hwcap);
  if (bits_a != bits_b) return bits_a > bits_b;
  return a.hwcap > b.hwcap;
}

std::string encode_cache(const std::vector<CacheEntry>& entries, const std::vector<std::string>& hwcaps_subdirs,
                         std::string_view generator) {
  std::string strings;
  std::map<std::string, uint32_t, std::less<>> offsets;
  const uint64_t strings_at = kHeaderSize + kEntrySize * entries.size();
  auto intern = [&](const std::string& s) {
    auto [it, added] = offsets.try_emplace(s, 0);
    if (added) {
      it->second = static_cast<uint32_t>(strings_at + strings.size());
      strings.append(s).push_back('\0');
    }
    return it->second;
  };
  std::string out(strings_at, '\0');
  std::memcpy(out.data(), "glibc-ld.so.cache1.1", 20);
  store<uint32_t>(out, 20, static_cast<uint32_t>(entries.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t at = kHeaderSize + i * kEntrySize;
    store<int32_t>(out, at, entries[i].flags);
    store<uint32_t>(out, at + 4, intern(entries[i].key));
    store<uint32_t>(out, at + 8, intern(entries[i].path));
    store<uint64_t>(out, at + 16, entries[i].hwcap);
  }
  std::vector<uint32_t> hwcaps_offsets;
  for (const auto& h : hwcaps_subdirs) hwcaps_offsets.push_back(intern(h));
  if (strings_at + strings.size() > UINT32_MAX / 2) throw Error("ld.so.cache would exceed 2 GiB");
  store<uint32_t>(out, 24, static_cast<uint32_t>(strings.size()));
  store<uint8_t>(out, 28, kLittleEndian);
  out += strings;
  out.resize((out.size() + 3) & ~size_t{3});  // the extension directory is 4-aligned
  const uint32_t extension_at = static_cast<uint32_t>(out.size());
  store<uint32_t>(out, 32, extension_at);

  const uint32_t sections = hwcaps_subdirs.empty() ? 1 : 2;
  const uint32_t hwcaps_at = extension_at + 8 + 16 * sections;
  const uint32_t hwcaps_size = static_cast<uint32_t>(4 * hwcaps_offsets.size());
  const uint32_t generator_at = hwcaps_at + hwcaps_size;
  std::string ext(8 + 16 * sections, '\0');
  store<uint32_t>(ext, 0, kExtensionMagic);
  store<uint32_t>(ext, 4, sections);
  store<uint32_t>(ext, 8, 0);  // tag: generator; flags 0
  store<uint32_t>(ext, 16, generator_at);
  store<uint32_t>(ext, 20, static_cast<uint32_t>(generator.size()));
  if (sections == 2) {
    store<uint32_t>(ext, 24, 1);  // tag: glibc-hwcaps
    store<uint32_t>(ext, 32, hwcaps_at);
    store<uint32_t>(ext, 36, hwcaps_size);
  }
  out += ext;
  for (uint32_t o : hwcaps_offsets) out.append(reinterpret_cast<const char*>(&o), sizeof o);
  out += generator;
  return out;
}

}  // namespace gpuhooks::ldcache
