#include "enable_cuda_compat_elf_note.h"

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace gpuhooks::cdihook {
namespace {

constexpr size_t kMaxSection = 1 << 20;       // a note is a few hundred bytes; anything huge is not one
constexpr size_t kMaxSectionCount = 1 << 16;  // bounds the section table read from an untrusted file
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

std::string section_bytes(int fd, const SectionHeader& h) {
  if (h.type == SHT_NOBITS) return "";
  if (h.size > kMaxSection) throw Error("ELF section of " + std::to_string(h.size) + " bytes is too large");
  return pread_exact(fd, h.offset, h.size);
}

size_t align_up(size_t v, unsigned long align) { return align > 1 ? (v + align - 1) / align * align : v; }

}  // namespace

std::optional<ElfSection> read_elf_section(int fd, const std::string& name) {
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

  // Extended numbering: with many sections the real count and string-table index live in section 0.
  if (shnum == 0 || shstrndx == SHN_XINDEX) {
    SectionHeader zero = elf.header(pread_exact(fd, shoff, entsize), 0, entsize);
    if (shnum == 0) shnum = zero.size;
    if (shstrndx == SHN_XINDEX) shstrndx = zero.link;
  }
  if (shnum > kMaxSectionCount) throw Error("ELF file claims " + std::to_string(shnum) + " sections");
  if (shstrndx >= shnum) throw Error("ELF section-name table index is out of range");
  const std::string table = pread_exact(fd, shoff, static_cast<uint64_t>(shnum) * entsize);
  const std::string names = section_bytes(fd, elf.header(table, shstrndx, entsize));

  for (size_t i = 0; i < shnum; ++i) {
    SectionHeader h = elf.header(table, i, entsize);
    if (h.name >= names.size()) continue;
    const char* start = names.data() + h.name;
    if (std::string(start, strnlen(start, names.size() - h.name)) != name) continue;
    return ElfSection{section_bytes(fd, h), static_cast<unsigned>(h.type), static_cast<unsigned long>(h.align),
                      d.big_endian};
  }
  return std::nullopt;
}

std::optional<CudaCompatNote> parse_cuda_compat_note(const std::string& bytes, bool big_endian, unsigned long align) {
  Decoder d{big_endian};
  if (bytes.size() < 12) return std::nullopt;
  size_t namesz = d.get(bytes, 0, 4), descsz = d.get(bytes, 4, 4);
  if (namesz == 0 || descsz == 0) return std::nullopt;
  size_t desc_off = align_up(12 + namesz, align);
  if (12 + namesz > bytes.size() || desc_off + descsz > bytes.size()) return std::nullopt;
  std::string owner = bytes.substr(12, namesz);
  owner.erase(owner.find_last_not_of('\0') + 1);
  if (owner != kNoteOwner) return std::nullopt;
  std::string desc = bytes.substr(desc_off, descsz);
  desc.erase(desc.find_last_not_of('\0') + 1);
  auto json = nlohmann::json::parse(desc, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  CudaCompatNote note;
  try {
    if (json.contains("CUDA Version")) note.cuda_version = json.at("CUDA Version").get<std::string>();
    if (json.contains("Driver")) note.driver_majors = json.at("Driver").get<std::vector<long>>();
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
