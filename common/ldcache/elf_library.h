#pragma once
// What ldconfig reads from a shared object (glibc 2.36 elf/readlib.c, elf/readelflib.c): its class and machine, its
// DT_SONAME, and whether it is a libc6 library (its PT_INTERP is a glibc loader or a DT_NEEDED names libc.so.6 or
// libm.so.6). Read from the program headers and the dynamic segment, as ldconfig does, with every read bounded.
// Discovery uses the soname too (nvidia-hooks.md §3.2: the reference reads a host library's DT_SONAME to decide its
// links).
#include <cstdint>
#include <optional>
#include <string>

#include "common/ldcache/arch.h"

namespace gpuhooks::ldcache {

struct ElfLibrary {
  bool elf64 = false;
  uint16_t machine = 0;  // e_machine: EM_X86_64, EM_386, ...
  std::optional<std::string> soname;
  bool libc6 = false;
};

// The shared object open at `fd` (read with pread only; the offset is untouched); nullopt for anything ldconfig
// would skip: not ELF, not little endian, not ET_DYN, no PT_DYNAMIC or no DT_STRTAB, a table outside the file.
std::optional<ElfLibrary> read_elf_library(int fd);

// The ld.so.cache flags ldconfig built for `arch` gives such a library (0x0303 "libc6,x86-64"; 32-bit i386:
// 0x0003, or 0x0001 for one that does not use libc6; x32: 0x0803); nullopt when that ldconfig skips it (another
// machine). Only x86-64's rules are known here (sysdeps/unix/sysv/linux/x86/readelflib.c): other arches get nullopt.
std::optional<int32_t> cache_flags(const ElfLibrary& lib, Arch arch);

// The soname of the 64- or 32-bit little-endian ELF shared object at `host_path`; nullopt when the file is not such
// an object or has no DT_SONAME.
std::optional<std::string> read_elf_soname(const std::string& host_path);

}  // namespace gpuhooks::ldcache
