#include "common/cdihooks/enable_cuda_compat_elf_note.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace gpuhooks::cdihook {
namespace {

// Every size below comes from the file, which comes from an image: each is bounded by what the file really holds (its
// size) and by the structure's real size, before anything is allocated or read. Without that, a 128-byte file that
// claims 65535 section headers of 65535 bytes made the hook allocate 4 GiB.
constexpr size_t kMaxSection = 1 << 20;       // a note is a few hundred bytes; anything huge is not one
constexpr size_t kMaxSectionCount = 1 << 16;  // bounds the section table read from an untrusted file
// e_shentsize is sizeof(Elf64_Shdr) (64) or sizeof(Elf32_Shdr) (40) in every file a linker writes; a larger one is
// allowed (the extra bytes are skipped) up to this, so the table is at most 64 Ki * 256 = 16 MiB, and never more
// than the file.
constexpr size_t kMaxEntsize = 256;
constexpr const char* kNoteOwner = "NVIDIA Corporation";

// Integers of the file's byte order, read from a byte buffer.
struct Decoder {
  bool big_endian;
  uint64_t get(const std::string& b, size_t off, size_t width) const {
    if (off + width > b.size()) throw Error("ELF structure runs past its end");
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      auto byte = static_cast<uint8_t>(b[off + (big_endian ? i : width - 1 - i)]);
      v = (v << 8) | byte;
    }
    return v;
  }
};

std::string pread_exact(int fd, uint64_t offset, uint64_t size) {
  std::string out(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("failed to read ELF file");
    if (n == 0)
      throw Error("ELF file is truncated (wanted " + std::to_string(size) + " bytes at offset " +
                  std::to_string(offset) + ")");
    done += static_cast<size_t>(n);
  }
  return out;
}

// The fields of one section header, for both classes.
struct SectionHeader {
  uint64_t name, type, offset, size, link, align;
};

struct ElfLayout {
  bool is64;
  Decoder d;
  SectionHeader header(const std::string& table, size_t index, size_t entsize) const {
    size_t b = index * entsize;
    if (is64)
      return {d.get(table, b, 4),      d.get(table, b + 4, 4),  d.get(table, b + 24, 8),
              d.get(table, b + 32, 8), d.get(table, b + 40, 4), d.get(table, b + 48, 8)};
    return {d.get(table, b, 4),      d.get(table, b + 4, 4),  d.get(table, b + 16, 4),
            d.get(table, b + 20, 4), d.get(table, b + 24, 4), d.get(table, b + 32, 4)};
  }
};

// [offset, offset + size) lies within a file of `file_size` bytes (no overflow: both are checked against it first).
bool within(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

std::string section_bytes(int fd, const SectionHeader& h, uint64_t file_size) {
  if (h.type == SHT_NOBITS) return "";
  if (h.size > kMaxSection) throw Error("ELF section of " + std::to_string(h.size) + " bytes is too large");
  if (!within(h.offset, h.size, file_size))
    throw Error("ELF section of " + std::to_string(h.size) + " bytes at offset " + std::to_string(h.offset) +
                " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  return pread_exact(fd, h.offset, h.size);
}

// The section name at `offset` in the name table equals `name`: compared in place (a name ends at its NUL or at the
// table's end), so 65536 sections over a 1 MiB table cost 65536 short compares, not 65536 copies of the table.
bool name_is(const std::string& names, uint64_t offset, const std::string& name) {
  if (offset >= names.size() || names.size() - offset < name.size()) return false;
  if (names.compare(offset, name.size(), name) != 0) return false;
  const uint64_t end = offset + name.size();
  return end == names.size() || names[end] == '\0';
}

// Note alignment is 4 or 8 in practice; an alignment larger than the section cannot place a descriptor in it (and
// would overflow the rounding below).
std::optional<size_t> align_up(size_t v, unsigned long align, size_t limit) {
  if (align <= 1) return v;
  if (align > limit) return std::nullopt;
  return (v + align - 1) / align * align;
}

}  // namespace

std::optional<ElfSection> read_elf_section(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw sys_error("failed to stat ELF file");
  const auto file_size = static_cast<uint64_t>(st.st_size);
  std::string ident;
  try {
    ident = pread_exact(fd, 0, EI_NIDENT);
  } catch (const Error&) {
    return std::nullopt;  // shorter than an ELF identification: not ELF
  }
  if (ident.compare(0, SELFMAG, ELFMAG) != 0) return std::nullopt;
  const unsigned char cls = ident[EI_CLASS], data = ident[EI_DATA];
  if ((cls != ELFCLASS32 && cls != ELFCLASS64) || (data != ELFDATA2LSB && data != ELFDATA2MSB))
    throw Error("ELF file has an unknown class or byte order");
  ElfLayout elf{cls == ELFCLASS64, Decoder{data == ELFDATA2MSB}};
  const std::string eh = pread_exact(fd, 0, elf.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr));
  const auto& d = elf.d;
  uint64_t shoff = elf.is64 ? d.get(eh, 0x28, 8) : d.get(eh, 0x20, 4);
  size_t entsize = d.get(eh, elf.is64 ? 0x3A : 0x2E, 2);
  size_t shnum = d.get(eh, elf.is64 ? 0x3C : 0x30, 2);
  size_t shstrndx = d.get(eh, elf.is64 ? 0x3E : 0x32, 2);
  if (shoff == 0) return std::nullopt;  // no section table
  if (entsize < (elf.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr))) throw Error("ELF section headers are too small");
  if (entsize > kMaxEntsize) throw Error("ELF section headers of " + std::to_string(entsize) + " bytes are too large");
  if (!within(shoff, entsize, file_size)) throw Error("ELF section table starts past the end of the file");

  // Extended numbering: with many sections the real count and string-table index live in section 0.
  if (shnum == 0 || shstrndx == SHN_XINDEX) {
    SectionHeader zero = elf.header(pread_exact(fd, shoff, entsize), 0, entsize);
    if (shnum == 0) shnum = zero.size;
    if (shstrndx == SHN_XINDEX) shstrndx = zero.link;
  }
  if (shnum > kMaxSectionCount) throw Error("ELF file claims " + std::to_string(shnum) + " sections");
  if (shstrndx >= shnum) throw Error("ELF section-name table index is out of range");
  const uint64_t table_size = static_cast<uint64_t>(shnum) * entsize;  // at most 64 Ki * 256: no overflow
  if (!within(shoff, table_size, file_size))
    throw Error("ELF file claims " + std::to_string(shnum) + " section headers of " + std::to_string(entsize) +
                " bytes, more than the file holds (" + std::to_string(file_size) + " bytes)");
  const std::string table = pread_exact(fd, shoff, table_size);
  const std::string names = section_bytes(fd, elf.header(table, shstrndx, entsize), file_size);

  for (size_t i = 0; i < shnum; ++i) {
    SectionHeader h = elf.header(table, i, entsize);
    if (!name_is(names, h.name, name)) continue;
    return ElfSection{section_bytes(fd, h, file_size), static_cast<unsigned>(h.type),
                      static_cast<unsigned long>(h.align), d.big_endian};
  }
  return std::nullopt;
}

std::optional<CudaCompatNote> parse_cuda_compat_note(const std::string& bytes, bool big_endian, unsigned long align) {
  Decoder d{big_endian};
  if (bytes.size() < 12) return std::nullopt;
  size_t namesz = d.get(bytes, 0, 4), descsz = d.get(bytes, 4, 4);
  if (namesz == 0 || descsz == 0) return std::nullopt;
  // namesz and descsz are 32-bit and bytes is at most kMaxSection: none of the sums below can wrap.
  if (12 + namesz > bytes.size()) return std::nullopt;
  auto desc_off = align_up(12 + namesz, align, bytes.size());
  if (!desc_off || *desc_off + descsz > bytes.size()) return std::nullopt;
  std::string owner = bytes.substr(12, namesz);
  owner.erase(owner.find_last_not_of('\0') + 1);
  if (owner != kNoteOwner) return std::nullopt;
  std::string desc = bytes.substr(*desc_off, descsz);
  desc.erase(desc.find_last_not_of('\0') + 1);
  auto json = nlohmann::json::parse(desc, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  CudaCompatNote note;
  try {
    if (json.contains("CUDA Version")) note.cuda_version = json.at("CUDA Version").get<std::string>();
    // Whole numbers that fit, as Go's []int takes them: a float (59999999999999999970 parses as 6e19) converted to
    // long would be undefined behaviour (found by tests/fuzz/cuda_compat_note_fuzz.cpp).
    if (json.contains("Driver")) {
      const auto& drivers = json.at("Driver");
      if (!drivers.is_array()) return std::nullopt;
      for (const auto& v : drivers) {
        const bool fits = v.is_number_integer() &&
                          !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<long>::max()));
        if (!fits) return std::nullopt;
        note.driver_majors.push_back(v.get<long>());
      }
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // wrong field types: as invalid JSON in the reference
  }
  return note;
}

std::optional<CudaCompatNote> read_cuda_compat_note(int fd) {
  auto section = read_elf_section(fd, ".note.cuda.fwd_compatibility");
  if (!section || section->type != SHT_NOTE) return std::nullopt;
  return parse_cuda_compat_note(section->bytes, section->big_endian, section->align);
}

}  // namespace gpuhooks::cdihook
