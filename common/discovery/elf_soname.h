#pragma once
// DT_SONAME of a shared object, read from the file (nvidia-hooks.md §3.2 "Symlink hooks for libraries": the
// reference reads the host ELF's DT_SONAME to decide which soname and .so links a container needs).
#include <optional>
#include <string>

namespace gpuhooks::discovery {

// The soname of the 64- or 32-bit little-endian ELF shared object at `host_path`; nullopt when the file is not
// such an object or has no DT_SONAME.
std::optional<std::string> read_elf_soname(const std::string& host_path);

}  // namespace gpuhooks::discovery
