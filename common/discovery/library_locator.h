#pragma once
// Finds driver libraries in a driver root the way the loader and the reference do (nvidia-hooks.md §3.2 "Library
// locator", libnvidia-container.md A.1.4): the root's /etc/ld.so.cache first (our own parser, ldcache room), then
// the reference's fixed search directories. Every hit is resolved inside the driver root (absolute symlinks are
// re-rooted, never followed onto the host running us) and reported once, by its resolved path.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/ldcache/cache_reader.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::discovery {

struct LocatedLibrary {
  std::string path;       // resolved, inside the driver root: "/usr/local/nvidia/lib64/libcuda.so.580.159.04"
  std::string host_path;  // <driver-root><path>
  std::string found_as;   // the name that matched: the cache key or the directory entry ("libcuda.so.1")
};

// "<root><path>" for an in-root path: the host path of a file of the driver or dev root ("/" leaves it unchanged).
std::string join_root(const std::filesystem::path& root, const std::string& path);

class LibraryLocator {
 public:
  // Reads the driver root's linker cache (`cache`, a path inside the root: nvidia-container-cli.ldcache) when
  // present; a missing cache leaves only the search directories, a corrupt one throws Error naming it.
  explicit LibraryLocator(const std::filesystem::path& driver_root, const std::string& cache = kDefaultCache);
  static constexpr const char* kDefaultCache = "/etc/ld.so.cache";

  // Regular files whose name starts with one of `prefixes` ("libcuda.so" matches "libcuda.so.1"): 64-bit cache
  // entries then search directories, or with `arch` = kI386 the compat32 cache entries only.
  std::vector<LocatedLibrary> find_by_prefix(const std::vector<std::string>& prefixes,
                                             ldcache::Arch arch = ldcache::Arch::kX86_64) const;

  // The first library named exactly `name` ("libnvidia-ml.so.1"), as the loader would pick it.
  std::optional<LocatedLibrary> find(const std::string& name) const;

  // Resolves `path` inside the driver root; nullopt unless it ends at a regular file.
  std::optional<std::string> resolve_file(const std::string& path) const;

  const rootfs::InRoot& root() const { return root_; }
  bool has_cache() const { return has_cache_; }
  const std::string& cache_path() const { return cache_path_; }  // in the root: "/etc/ld.so.cache"

  // The reference's search directories (nvidia-hooks.md §3.2), in order.
  static const std::vector<std::string>& search_dirs();

 private:
  rootfs::InRoot root_;
  std::string root_real_;  // the driver root's real path, to turn /proc/self/fd names back into in-root paths
  std::vector<ldcache::CacheEntry> cache_;
  bool has_cache_ = false;
  std::string cache_path_;
  std::vector<std::pair<std::string, std::string>> dir_entries_;  // (dir, name) of every existing search dir
};

}  // namespace gpuhooks::discovery
