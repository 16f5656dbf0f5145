#include "common/ldcache/folder_scan.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

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

// What one directory entry is: its own lstat, and what it resolves to inside the root (nullopt: a dangling link).
struct Entry {
  struct stat own {};
  std::optional<struct stat> target;
  std::string sibling;    // a symlink resolved in its own folder: the name there it ends at (no symlink)
  int links = 0;          // with a sibling: the links followed to reach it, this one included
  bool resolved = false;  // target (and sibling) are set, or being set
};

// A bare name (no "/", not "." or ".."): as a link's target, it names an entry of the link's own folder.
bool is_bare_name(std::string_view target) {
  return !target.empty() && target.find('/') == std::string_view::npos && target != "." && target != "..";
}

// The folder's entries that ldconfig looks at, each lstat()ed once, and their symlinks resolved. Drivers and
// ldconfig link to names in the same folder (libfoo.so -> libfoo.so.1 -> libfoo.so.1.2): such a chain, up to
// kMaxSiblingLinks long, is followed with one readlinkat a link on the folder's fd, through the entries already
// lstat()ed, which reaches exactly what a walk from the root would, for a fraction of its cost on an overlay (the
// walk looks up every component of the folder again, and the chain's names once more). Anything else (a target
// with a "/", a longer chain, a loop, a dangling end) is resolved inside the root, where the kernel's own rules (its
// limit of 40 links among them) decide.
class FolderEntries {
 public:
  FolderEntries(const rootfs::InRoot& root, int dir, const std::string& folder)
      : root_(root), dir_(dir), folder_(folder) {}

  // lstat()s `name`; nullptr (and nothing kept) when it is gone or not a file, symlink or directory.
  const Entry* add(const std::string& name) {
    Entry e;
    if (::fstatat(dir_, name.c_str(), &e.own, AT_SYMLINK_NOFOLLOW) != 0) return nullptr;
    if (!(S_ISREG(e.own.st_mode) || S_ISLNK(e.own.st_mode) || S_ISDIR(e.own.st_mode))) return nullptr;
    if (!S_ISLNK(e.own.st_mode)) {
      e.target = e.own;
      e.resolved = true;
    }
    return &entries_.emplace(name, e).first->second;
  }

  const Entry& resolved(const std::string& name) {
    Entry& e = entries_.at(name);
    resolve(name, e, 0);
    return e;
  }
  const std::map<std::string, Entry>& all() const { return entries_; }

 private:
  static constexpr int kMaxSiblingLinks = 4;

  // `depth`: the links of the chain being followed before this one; the recursion stops at kMaxSiblingLinks, so a
  // folder of one long chain cannot exhaust the stack.
  void resolve(const std::string& name, Entry& e, int depth) {
    if (e.resolved) return;
    e.resolved = true;  // before following: a loop comes back to an entry with no sibling, and goes to the root
    if (auto [sibling, st, links] = follow(name, depth); !sibling.empty()) {
      e.target = st;
      e.sibling = std::move(sibling);
      e.links = links;
      return;
    }
    e.target = root_.stat(folder_ + "/" + name);
  }

  // Where the link `name` ends in the folder, within kMaxSiblingLinks links: the regular file's (or directory's)
  // name, its lstat and the links followed; an empty name where it does not.
  std::tuple<std::string, struct stat, int> follow(const std::string& name, int depth) {
    char buf[NAME_MAX + 1];
    const ssize_t n = ::readlinkat(dir_, name.c_str(), buf, sizeof(buf));
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf) || !is_bare_name(std::string_view(buf, static_cast<size_t>(n))))
      return {};
    std::string next(buf, static_cast<size_t>(n));
    if (auto it = entries_.find(next); it != entries_.end()) {
      Entry& to = it->second;
      if (!S_ISLNK(to.own.st_mode)) return {std::move(next), to.own, 1};
      if (!to.resolved) {
        if (depth + 1 >= kMaxSiblingLinks) return {};
        resolve(next, to, depth + 1);
      }
      if (to.sibling.empty() || to.links >= kMaxSiblingLinks) return {};
      return {to.sibling, *to.target, to.links + 1};
    }
    struct stat st {};
    if (::fstatat(dir_, next.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISLNK(st.st_mode)) return {};
    return {std::move(next), st, 1};
  }

  const rootfs::InRoot& root_;
  int dir_;
  const std::string& folder_;
  std::map<std::string, Entry> entries_;
};

// The library in an open regular file, when ldconfig would index it for `arch`.
std::optional<ScannedLibrary> read_library(int fd, Arch arch) {
  auto elf = read_elf_library(fd);
  if (!elf) return std::nullopt;
  auto flags = cache_flags(*elf, arch);
  if (!flags) return std::nullopt;
  ScannedLibrary lib;
  lib.soname = elf->soname.value_or("");
  lib.flags = *flags;
  return lib;
}

// The entry `name` of the open folder `dir`, opened for reading when it is the regular file `expected` says (an
// entry, or the sibling a link names, is one name: no "/" in it, so openat with O_NOFOLLOW cannot leave the folder),
// or a symlink resolved inside the root. O_NONBLOCK and the type checked on the open file, so a FIFO swapped in
// never blocks us.
UniqueFd open_entry(const rootfs::InRoot& root, int dir, const std::string& folder, const std::string& name,
                    const Entry& expected) {
  UniqueFd fd;
  if (!expected.sibling.empty()) {
    fd = UniqueFd(::openat(dir, expected.sibling.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  } else if (S_ISLNK(expected.own.st_mode)) {
    int err = 0;
    fd = root.try_open(folder + "/" + name, O_RDONLY | O_NONBLOCK | O_CLOEXEC, rootfs::Follow::kAll, &err);
  } else {
    fd = UniqueFd(::openat(dir, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  }
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !same_file(st, *expected.target))
    return UniqueFd();
  return fd;
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

// The entries the scan has seen answer for themselves; a name the listing does not hold is missing (the common case:
// the soname links are what the scan is there to make), and only a name it holds but skipped is looked up.
std::optional<SonameLink> soname_link(const rootfs::InRoot& root, const std::string& folder, const ScannedLibrary& lib,
                                      const std::map<std::string, Entry>& entries,
                                      const std::set<std::string_view>& listed) {
  const std::string link = folder + "/" + lib.soname;
  auto seen = entries.find(lib.soname);
  std::optional<struct stat> so;
  if (seen != entries.end()) {
    so = seen->second.target;
  } else if (listed.count(lib.soname) != 0) {
    so = root.stat(link);
  }
  if (so) {
    auto chosen = entries.find(lib.file);
    auto file = chosen != entries.end() ? chosen->second.target : root.stat(folder + "/" + lib.file);
    if (!file || is_loader_soname(lib.soname) || same_file(*so, *file)) return std::nullopt;
    auto own = seen != entries.end() ? std::optional<struct stat>(seen->second.own) : root.lstat(link);
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
  int err = 0;
  UniqueFd dir = root.try_open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC, rootfs::Follow::kAll, &err);
  if (!dir.valid()) return scan;
  auto listed = rootfs::list_open_dir(dir.get());  // the names of the folder whose fd checks them below
  if (!listed) return scan;
  const std::vector<std::string>& names = *listed;
  if (names.size() > kMaxFolderEntries) {
    scan.needs_ldconfig =
        "folder " + rootfs::printable(folder) + " has more than " + std::to_string(kMaxFolderEntries) + " entries";
    return scan;
  }
  FolderEntries entries(root, dir.get(), folder);
  std::vector<std::string> looked_at;  // in the listing's order, which decides ties as it does for ldconfig
  for (const auto& name : names) {
    const bool library_name = is_library_name(name);
    if (!library_name && !is_hwcap_dir_name(name)) continue;
    const Entry* e = entries.add(name);
    if (e == nullptr || (!library_name && S_ISREG(e->own.st_mode))) continue;
    looked_at.push_back(name);
  }
  // A file is read once, whichever of its names (the file, its soname link, its .so link) comes first.
  std::map<std::pair<dev_t, ino_t>, std::optional<ScannedLibrary>> read;
  std::map<std::string, ScannedLibrary> by_soname;
  for (const auto& name : looked_at) {
    const Entry& e = entries.resolved(name);
    const bool is_link = S_ISLNK(e.own.st_mode);
    if (!e.target) continue;  // dangling
    if (S_ISDIR(e.target->st_mode)) {
      if (is_hwcap_dir_name(name)) {
        scan.needs_ldconfig = "folder " + rootfs::printable(folder) + " has a hardware-capability subdirectory " +
                              rootfs::printable(name);
        return scan;
      }
      continue;
    }
    if (!S_ISREG(e.target->st_mode)) continue;  // a device is never opened; a FIFO would block ldconfig here
    auto [known, fresh] = read.try_emplace({e.target->st_dev, e.target->st_ino});
    if (fresh) {
      UniqueFd fd = open_entry(root, dir.get(), folder, name, e);
      if (fd.valid()) known->second = read_library(fd.get(), arch);
    }
    if (!known->second) continue;
    auto lib = known->second;
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
  const std::set<std::string_view> listed_names(names.begin(), names.end());
  for (auto& [soname, lib] : by_soname) {
    if (!lib.is_link)
      if (auto link = soname_link(root, folder, lib, entries.all(), listed_names)) scan.links.push_back(*link);
    scan.libraries.push_back(lib);
  }
  return scan;
}

}  // namespace gpuhooks::ldcache
