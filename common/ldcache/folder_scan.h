#pragma once
// One folder as glibc 2.36's ldconfig indexes it (elf/ldconfig.c search_dir, create_links), read through the in-root
// API: the libraries it puts in the cache and the soname links it makes. Reading only; the links are applied by
// cache_plan.h.
//
// ldconfig's rules, kept: only names is_library_name() accepts, and only regular files and symlinks (a symlink is
// followed, inside the root; a dangling one is skipped); the soname is DT_SONAME, else the file name; a symlink
// named after its target's soname (libfoo.so.1 -> ...), or a ".so" link whose name starts its soname (libfoo.so ->
// ...), is indexed under its own name, any other symlink counts as a file; of several with one soname, a file beats
// a link, then the newest name by compare_library_names wins; the cache path is <folder>/<soname>; a link <soname> ->
// <file> is made when that name is missing, dangling or a symlink to another file (never over a regular file, never
// when the soname is a glibc loader's and exists).
// Differences, on purpose: a FIFO, device or directory behind a name is skipped without being opened for reading
// (ldconfig's open blocks on a FIFO); a library whose DT_SONAME holds a "/" is skipped (ldconfig would make its link
// at that path); stale ".so." symlinks are left (ldconfig unlinks them: we remove nothing from
// an image); a folder with hardware-capability subdirectories is not indexed here (needs_ldconfig says why).
#include <string>
#include <vector>

#include "common/ldcache/arch.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::ldcache {

struct ScannedLibrary {
  std::string soname;  // the cache key
  std::string file;    // the name in the folder that was chosen for it
  int32_t flags = 0;
  bool is_link = false;
  bool operator==(const ScannedLibrary&) const = default;
};

struct SonameLink {
  std::string path;    // in the root: "<folder>/<soname>"
  std::string target;  // the file's name in the same folder, stored as the link's target
  bool operator==(const SonameLink&) const = default;
};

struct FolderScan {
  std::string folder;
  std::vector<ScannedLibrary> libraries;  // sorted by soname
  std::vector<SonameLink> links;
  std::string needs_ldconfig;  // non-empty: this folder must be indexed by ldconfig, and why
};

// At most this many directory entries are looked at in one folder; a larger folder goes to ldconfig.
inline constexpr size_t kMaxFolderEntries = 1 << 16;

// A missing folder (or one that is not a directory) scans as empty, as ldconfig skips it.
FolderScan scan_folder(const rootfs::InRoot& root, const std::string& folder, Arch arch);

}  // namespace gpuhooks::ldcache
