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

// Reads of one file through windows of its bytes: ldconfig's reads of a library (the identification, the header,
// the program headers, the strings) mostly lie within a few KiB, so one pread serves several of them, and a
// scan of a driver folder makes a third of the reads it would (each pread is a system call). The file's first
// window stays while a second one moves: the dynamic segment lies past it, the strings it names often inside it.
// Bounded as before: a read never goes past what the file holds.
class FileWindow {
 public:
  explicit FileWindow(int fd) : fd_(fd) {}

  // Exactly `size` bytes at `offset`; false where the file has fewer.
  bool read(void* out, size_t size, uint64_t offset) {
    const Window* w = holding(offset, size);
    if (w == nullptr) {
      if (size > kWindow) return ::pread(fd_, out, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
      w = &fill(offset);
      if (!w->covers(offset, size)) return false;
    }
    std::memcpy(out, w->buf + (offset - w->start), size);
    return true;
  }

  // A NUL-terminated string at `offset`, at most kMaxName bytes; nullopt past the end of the file or without a NUL.
  std::optional<std::string> string(uint64_t offset) {
    for (const Window* w : {&head_, &moving_})
      if (auto s = w->string_at(offset)) return s;
    return fill(offset).string_at(offset);
  }

 private:
  static constexpr size_t kWindow = kMaxName;

  struct Window {
    char buf[kWindow];
    uint64_t start = 0;
    size_t size = 0;

    bool covers(uint64_t offset, size_t n) const {
      return offset >= start && offset - start <= size && n <= size - (offset - start);
    }
    std::optional<std::string> string_at(uint64_t offset) const {
      if (!covers(offset, 1)) return std::nullopt;
      const char* begin = buf + (offset - start);
      const size_t avail = size - (offset - start);
      const size_t len = ::strnlen(begin, avail);
      if (len == avail) return std::nullopt;
      return std::string(begin, len);
    }
  };

  const Window* holding(uint64_t offset, size_t size) const {
    if (head_.covers(offset, size)) return &head_;
    if (moving_.covers(offset, size)) return &moving_;
    return nullptr;
  }
  // The first fill is the head's; every later one moves the other window.
  Window& fill(uint64_t offset) {
    Window& w = head_filled_ ? moving_ : head_;
    head_filled_ = true;
    const ssize_t n = ::pread(fd_, w.buf, sizeof(w.buf), static_cast<off_t>(offset));
    w.start = offset;
    w.size = n > 0 ? static_cast<size_t>(n) : 0;
    return w;
  }

  int fd_;
  Window head_;
  Window moving_;
  bool head_filled_ = false;
};

// glibc's known interpreters and libraries that make a library libc6 (readlib.c, x86_64/ldconfig.h).
bool is_libc6_interpreter(std::string_view s) {
  return s == "/lib64/ld-linux-x86-64.so.2" || s == "/lib/ld-linux.so.2" || s == "/libx32/ld-linux-x32.so.2";
}
bool is_libc6_library(std::string_view s) { return s == "libc.so.6" || s == "libm.so.6"; }

template <typename Ehdr, typename Phdr, typename Dyn>
std::optional<ElfLibrary> read_class(FileWindow& file, ElfLibrary lib) {
  Ehdr eh;
  if (!file.read(&eh, sizeof eh, 0) || eh.e_type != ET_DYN) return std::nullopt;
  lib.machine = eh.e_machine;
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxProgramHeaders) return std::nullopt;
  std::vector<Phdr> phdrs(eh.e_phnum);
  if (!file.read(phdrs.data(), sizeof(Phdr) * phdrs.size(), eh.e_phoff)) return std::nullopt;
  uint64_t dynamic_offset = 0, dynamic_size = 0;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_DYNAMIC) {  // ldconfig keeps the last one
      dynamic_offset = ph.p_offset;
      dynamic_size = ph.p_filesz;
    } else if (ph.p_type == PT_INTERP) {
      auto interp = file.string(ph.p_offset);
      if (!interp) return std::nullopt;
      if (is_libc6_interpreter(*interp)) lib.libc6 = true;
    }
  }
  if (dynamic_size == 0 || dynamic_size > kMaxDynamicBytes) return std::nullopt;
  std::vector<Dyn> dyns(dynamic_size / sizeof(Dyn));
  if (dyns.empty() || !file.read(dyns.data(), dyns.size() * sizeof(Dyn), dynamic_offset)) return std::nullopt;
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
    auto name = file.string(*strtab + d.d_un.d_val);
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
  FileWindow file(fd);
  unsigned char ident[EI_NIDENT];
  if (!file.read(ident, sizeof ident, 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0 || ident[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  ElfLibrary lib;
  if (ident[EI_CLASS] == ELFCLASS64) {
    lib.elf64 = true;
    return read_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(file, lib);
  }
  if (ident[EI_CLASS] == ELFCLASS32) return read_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(file, lib);
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
