#include "common/ldcache/folder_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <map>

#include "common/ldcache/cache_reader.h"
#include "common/ldcache/elf_library.h"
#include "common/ldcache/library_names.h"

namespace gpuhooks::ldcache {
namespace {

// ldconfig.c ld_sonames: an existing link under one of these names is never changed ("it might break multiarch
// systems"). glibc's list misses commas after the two riscv names, so "ld-linux-x32.so.2" is not in it in effect.
bool is_loader_soname(const std::string& s) {
  static constexpr std::array<std::string_view, 12> kNames = {"ld-kfreebsd-x86-64.so.1",
                                                              "ld-linux-aarch64.so.1",
                                                              "ld-linux-aarch64_be.so.1",
                                                              "ld-linux-armhf.so.3",
                                                              "ld-linux-ia64.so.2",
                                                              "ld-linux-mipsn8.so.1",
                                                              "ld-linux-x86-64.so.2",
                                                              "ld-linux.so.2",
                                                              "ld-linux.so.3",
                                                              "ld.so.1",
                                                              "ld64.so.1",
                                                              "ld64.so.2"};
  return std::find(kNames.begin(), kNames.end(), s) != kNames.end();
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The library behind `path` when it is a regular file ldconfig would index; O_NONBLOCK and the type checked on the
// open file, so a FIFO swapped in never blocks us.
std::optional<ScannedLibrary> read_library(const rootfs::InRoot& root, const std::string& path, Arch arch) {
  int err = 0;
  UniqueFd fd = root.try_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, rootfs::Follow::kAll, &err);
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto elf = read_elf_library(fd.get());
  if (!elf) return std::nullopt;
  auto flags = cache_flags(*elf, arch);
  if (!flags) return std::nullopt;
  ScannedLibrary lib;
  lib.soname = elf->soname.value_or("");
  lib.flags = *flags;
  return lib;
}

// ldconfig's choice between two files with one soname in a folder: does `candidate` replace `current`?
bool replaces(const ScannedLibrary& current, const ScannedLibrary& candidate) {
  if (!candidate.is_link && current.is_link) return true;
  return candidate.is_link == current.is_link && compare_library_names(current.file, candidate.file) < 0;
}

// ldconfig keeps the first flags seen unless one of the two is plain ELF and the other libc5/libc6.
int32_t merged_flags(int32_t current, int32_t candidate) {
  const bool current_libc = current == 0x0002 || current == kFlagElfLibc6;
  const bool candidate_libc = candidate == 0x0002 || candidate == kFlagElfLibc6;
  if ((current == kFlagElf && candidate_libc) || (current_libc && candidate == kFlagElf)) return candidate;
  return current;
}

std::optional<SonameLink> soname_link(const rootfs::InRoot& root, const std::string& folder,
                                      const ScannedLibrary& lib) {
  const std::string link = folder + "/" + lib.soname;
  if (auto so = root.stat(link)) {
    auto file = root.stat(folder + "/" + lib.file);
    if (!file || is_loader_soname(lib.soname) || same_file(*so, *file)) return std::nullopt;
    auto own = root.lstat(link);
    if (own && !S_ISLNK(own->st_mode)) return std::nullopt;  // ldconfig: "is not a symbolic link"
  }
  return SonameLink{link, lib.file};
}

}  // namespace

FolderScan scan_folder(const rootfs::InRoot& root, const std::string& folder, Arch arch) {
  FolderScan scan;
  scan.folder = folder;
  for (const auto& part : rootfs::path_components(folder))
    if (is_hwcap_dir_name(part)) {
      scan.needs_ldconfig = "folder " + rootfs::printable(folder) + " is a hardware-capability directory";
      return scan;
    }
  std::vector<std::string> names;
  try {
    names = root.list_dir(folder);
  } catch (const std::exception&) {
    return scan;
  }
  if (names.size() > kMaxFolderEntries) {
    scan.needs_ldconfig =
        "folder " + rootfs::printable(folder) + " has more than " + std::to_string(kMaxFolderEntries) + " entries";
    return scan;
  }
  std::map<std::string, ScannedLibrary> by_soname;
  for (const auto& name : names) {
    const std::string path = folder + "/" + name;
    const bool library_name = is_library_name(name);
    if (!library_name && !is_hwcap_dir_name(name)) continue;
    auto own = root.lstat(path);
    if (!own || !(S_ISREG(own->st_mode) || S_ISLNK(own->st_mode) || S_ISDIR(own->st_mode))) continue;
    if (!library_name && S_ISREG(own->st_mode)) continue;
    const bool is_link = S_ISLNK(own->st_mode);
    auto target = is_link ? root.stat(path) : own;
    if (!target) continue;  // dangling
    if (S_ISDIR(target->st_mode)) {
      if (is_hwcap_dir_name(name)) {
        scan.needs_ldconfig = "folder " + rootfs::printable(folder) + " has a hardware-capability subdirectory " +
                              rootfs::printable(name);
        return scan;
      }
      continue;
    }
    if (!S_ISREG(target->st_mode)) continue;  // a device is never opened; a FIFO would block ldconfig here
    auto lib = read_library(root, path, arch);
    if (!lib) continue;
    lib->file = name;
    if (lib->soname.empty()) lib->soname = name;
    // A soname is a file name: with a "/" the link ldconfig makes for it would land elsewhere in the root.
    if (lib->soname.find('/') != std::string::npos || lib->soname == "." || lib->soname == "..") continue;
    lib->is_link = is_link;
    if (is_link && name != lib->soname && !(ends_with(name, ".so") && lib->soname.rfind(name, 0) == 0))
      lib->is_link = false;  // an alias link: ldconfig takes it for another file of that soname
    if (lib->is_link) lib->soname = name;
    auto [it, added] = by_soname.try_emplace(lib->soname, *lib);
    if (!added && replaces(it->second, *lib)) {
      const int32_t flags = merged_flags(it->second.flags, lib->flags);
      it->second = *lib;
      it->second.flags = flags;
    }
  }
  for (auto& [soname, lib] : by_soname) {
    if (!lib.is_link)
      if (auto link = soname_link(root, folder, lib)) scan.links.push_back(*link);
    scan.libraries.push_back(lib);
  }
  return scan;
}

}  // namespace gpuhooks::ldcache
