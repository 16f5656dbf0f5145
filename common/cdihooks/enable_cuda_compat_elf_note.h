#pragma once
// The CUDA forward-compatibility note a compat libcuda.so carries: ELF section `.note.cuda.fwd_compatibility`
// (SHT_NOTE), owner "NVIDIA Corporation", descriptor JSON {"Format":1,"CUDA Version":"12.9","Driver":[535,...],
// "Device":[...]} (nvidia-hooks.md §1.5). Our own section-header parser: ELF32 and ELF64, either byte order,
// extended section numbering; everything is read with pread and bounds-checked, since the file comes from an image.
#include <optional>
#include <string>
#include <vector>

namespace gpuhooks::cdihook {

struct CudaCompatNote {
  std::string cuda_version;         // "CUDA Version"
  std::vector<long> driver_majors;  // "Driver": the host driver branches this compat library supports
};

struct ElfSection {
  std::string bytes;
  unsigned type = 0;        // sh_type
  unsigned long align = 0;  // sh_addralign
  bool big_endian = false;  // the file's byte order
};

// The named section of the ELF file open on `fd`; nullopt when the file is not ELF or has no such section.
// Throws Error for a truncated or inconsistent ELF file.
std::optional<ElfSection> read_elf_section(int fd, const std::string& name);

// The note in a section's bytes: nullopt when the note is empty, has another owner, or its JSON is invalid
// (the reference logs and ignores those). `big_endian` is the file's byte order, `align` the section's alignment.
std::optional<CudaCompatNote> parse_cuda_compat_note(const std::string& bytes, bool big_endian, unsigned long align);

// Both steps on an open libcuda: nullopt when there is no usable note.
std::optional<CudaCompatNote> read_cuda_compat_note(int fd);

}  // namespace gpuhooks::cdihook
