#include "common/discovery/elf_soname.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/unique_fd.h"

namespace gpuhooks::discovery {
namespace {

bool read_at(int fd, void* buf, size_t size, uint64_t offset) {
  return ::pread(fd, buf, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

// Walks the section headers: the SHT_DYNAMIC section and the string table it links to (sh_link).
template <typename Ehdr, typename Shdr, typename Dyn>
std::optional<std::string> soname_of(int fd) {
  Ehdr eh;
  if (!read_at(fd, &eh, sizeof eh, 0) || eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096) {
    return std::nullopt;
  }
  std::vector<Shdr> sections(eh.e_shnum);
  if (!read_at(fd, sections.data(), sizeof(Shdr) * sections.size(), eh.e_shoff)) return std::nullopt;
  for (const auto& sh : sections) {
    if (sh.sh_type != SHT_DYNAMIC || sh.sh_link >= sections.size() || sh.sh_size > (1u << 20)) continue;
    const Shdr& strtab = sections[sh.sh_link];
    std::vector<Dyn> dyns(sh.sh_size / sizeof(Dyn));
    if (!read_at(fd, dyns.data(), dyns.size() * sizeof(Dyn), sh.sh_offset)) return std::nullopt;
    for (const auto& d : dyns) {
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag != DT_SONAME || d.d_un.d_val >= strtab.sh_size) continue;
      char name[256] = {};
      uint64_t len = std::min<uint64_t>(sizeof name - 1, strtab.sh_size - d.d_un.d_val);
      if (::pread(fd, name, len, static_cast<off_t>(strtab.sh_offset + d.d_un.d_val)) <= 0) return std::nullopt;
      return std::string(name, ::strnlen(name, len));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_elf_soname(const std::string& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  unsigned char ident[EI_NIDENT];
  if (!read_at(fd.get(), ident, sizeof ident, 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0 ||
      ident[EI_DATA] != ELFDATA2LSB) {
    return std::nullopt;
  }
  if (ident[EI_CLASS] == ELFCLASS64) return soname_of<Elf64_Ehdr, Elf64_Shdr, Elf64_Dyn>(fd.get());
  if (ident[EI_CLASS] == ELFCLASS32) return soname_of<Elf32_Ehdr, Elf32_Shdr, Elf32_Dyn>(fd.get());
  return std::nullopt;
}

}  // namespace gpuhooks::discovery
