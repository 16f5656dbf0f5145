#include "common/ldcache/elf_library.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "common/ldcache/cache_reader.h"
#include "common/unique_fd.h"

namespace gpuhooks::ldcache {
namespace {

// Real libraries have a dozen program headers and a dynamic segment of a few hundred entries; names are short.
constexpr uint64_t kMaxProgramHeaders = 4096;
constexpr uint64_t kMaxDynamicBytes = 1 << 20;
constexpr size_t kMaxName = 4096;

bool read_at(int fd, void* buf, size_t size, uint64_t offset) {
  return ::pread(fd, buf, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

// A NUL-terminated string at `offset`, at most kMaxName bytes; nullopt past the end of the file or without a NUL.
std::optional<std::string> read_string(int fd, uint64_t offset) {
  char buf[kMaxName];
  ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
  if (n <= 0) return std::nullopt;
  size_t len = ::strnlen(buf, static_cast<size_t>(n));
  if (len == static_cast<size_t>(n)) return std::nullopt;
  return std::string(buf, len);
}

// glibc's known interpreters and libraries that make a library libc6 (readlib.c, x86_64/ldconfig.h).
bool is_libc6_interpreter(std::string_view s) {
  return s == "/lib64/ld-linux-x86-64.so.2" || s == "/lib/ld-linux.so.2" || s == "/libx32/ld-linux-x32.so.2";
}
bool is_libc6_library(std::string_view s) { return s == "libc.so.6" || s == "libm.so.6"; }

template <typename Ehdr, typename Phdr, typename Dyn>
std::optional<ElfLibrary> read_class(int fd, ElfLibrary lib) {
  Ehdr eh;
  if (!read_at(fd, &eh, sizeof eh, 0) || eh.e_type != ET_DYN) return std::nullopt;
  lib.machine = eh.e_machine;
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxProgramHeaders) return std::nullopt;
  std::vector<Phdr> phdrs(eh.e_phnum);
  if (!read_at(fd, phdrs.data(), sizeof(Phdr) * phdrs.size(), eh.e_phoff)) return std::nullopt;
  uint64_t dynamic_offset = 0, dynamic_size = 0;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_DYNAMIC) {  // ldconfig keeps the last one
      dynamic_offset = ph.p_offset;
      dynamic_size = ph.p_filesz;
    } else if (ph.p_type == PT_INTERP) {
      auto interp = read_string(fd, ph.p_offset);
      if (!interp) return std::nullopt;
      if (is_libc6_interpreter(*interp)) lib.libc6 = true;
    }
  }
  if (dynamic_size == 0 || dynamic_size > kMaxDynamicBytes) return std::nullopt;
  std::vector<Dyn> dyns(dynamic_size / sizeof(Dyn));
  if (dyns.empty() || !read_at(fd, dyns.data(), dyns.size() * sizeof(Dyn), dynamic_offset)) return std::nullopt;
  std::optional<uint64_t> strtab;
  for (const auto& d : dyns) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag != DT_STRTAB) continue;
    // DT_STRTAB is an address: the PT_LOAD segment holding it maps it to a file offset (none: taken as an offset).
    uint64_t load_bias = 0;
    for (const auto& ph : phdrs)
      if (ph.p_type == PT_LOAD && d.d_un.d_val >= ph.p_vaddr && d.d_un.d_val - ph.p_vaddr < ph.p_filesz) {
        load_bias = ph.p_vaddr - ph.p_offset;
        break;
      }
    strtab = d.d_un.d_val - load_bias;
    break;
  }
  if (!strtab) return std::nullopt;
  for (const auto& d : dyns) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag != DT_NEEDED && d.d_tag != DT_SONAME) continue;
    auto name = read_string(fd, *strtab + d.d_un.d_val);
    if (!name) return std::nullopt;  // ldconfig: "file is truncated"
    if (d.d_tag == DT_SONAME) {
      lib.soname = std::move(name);
    } else if (is_libc6_library(*name)) {
      lib.libc6 = true;
    }
    if (lib.soname && lib.libc6) break;
  }
  return lib;
}

}  // namespace

std::optional<ElfLibrary> read_elf_library(int fd) {
  unsigned char ident[EI_NIDENT];
  if (!read_at(fd, ident, sizeof ident, 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0 || ident[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  ElfLibrary lib;
  if (ident[EI_CLASS] == ELFCLASS64) {
    lib.elf64 = true;
    return read_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd, lib);
  }
  if (ident[EI_CLASS] == ELFCLASS32) return read_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd, lib);
  return std::nullopt;
}

std::optional<int32_t> cache_flags(const ElfLibrary& lib, Arch arch) {
  if (arch != Arch::kX86_64) return std::nullopt;
  // x86-64 and x32 libraries are always libc6; i386 ones are libc6 only when they say so.
  if (lib.machine == EM_X86_64) return (lib.elf64 ? kFlagArchX8664 : kFlagArchX32) | kFlagElfLibc6;
  if (lib.machine == EM_386 && !lib.elf64) return lib.libc6 ? kFlagElfLibc6 : kFlagElf;
  return std::nullopt;
}

std::optional<std::string> read_elf_soname(const std::string& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return std::nullopt;
  auto lib = read_elf_library(fd.get());
  return lib ? lib->soname : std::nullopt;
}

}  // namespace gpuhooks::ldcache
