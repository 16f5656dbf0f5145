#include "common/discovery/library_locator.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "common/error.h"

namespace gpuhooks::discovery {
namespace {

bool has_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    if (name.compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

std::string fd_target(int fd) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(rootfs::InRoot::proc_fd_path(fd).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string join_root(const std::filesystem::path& root, const std::string& path) {
  std::string r = root.lexically_normal().string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r == "/") return path;
  return r + (path.empty() || path.front() != '/' ? "/" : "") + path;
}

const std::vector<std::string>& LibraryLocator::search_dirs() {
  static const std::vector<std::string> dirs = {
      "/",
      "/usr/lib64",
      "/usr/lib/x86_64-linux-gnu",
      "/usr/lib/aarch64-linux-gnu",
      "/usr/lib/x86_64-linux-gnu/nvidia/current",
      "/usr/lib/aarch64-linux-gnu/nvidia/current",
      "/lib64",
      "/lib/x86_64-linux-gnu",
      "/lib/aarch64-linux-gnu",
      "/lib/x86_64-linux-gnu/nvidia/current",
      "/lib/aarch64-linux-gnu/nvidia/current",
  };
  return dirs;
}

LibraryLocator::LibraryLocator(const std::filesystem::path& driver_root, const std::string& cache)
    : root_(driver_root), cache_path_(cache) {
  root_real_ = fd_target(root_.fd());
  if (root_real_ == "/") root_real_.clear();
  if (root_.is_regular_file(cache)) {
    // The cache file itself is read through its in-root resolution: a symlinked /etc/ld.so.cache stays in the root.
    cache_ = ldcache::read_cache(driver_root / root_.resolve(cache).substr(1));
    has_cache_ = true;
  }
  for (const auto& dir : search_dirs()) {
    int err = 0;
    UniqueFd fd = root_.try_open(dir, O_RDONLY | O_DIRECTORY, rootfs::Follow::kAll, &err);
    if (!fd.valid()) continue;
    rootfs::for_each_entry(fd.get(), [&](std::string_view name, unsigned char) {
      if (name.starts_with("lib")) dir_entries_.emplace_back(dir, std::string(name));
    });
  }
}

std::optional<std::string> LibraryLocator::resolve_file(const std::string& path) const {
  int err = 0;
  UniqueFd fd = root_.try_open(path, O_PATH, rootfs::Follow::kAll, &err);
  if (!fd.valid()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string full = fd_target(fd.get());
  if (root_real_.empty()) return full;
  if (full.compare(0, root_real_.size() + 1, root_real_ + "/") != 0) return std::nullopt;
  return full.substr(root_real_.size());
}

std::vector<LocatedLibrary> LibraryLocator::find_by_prefix(const std::vector<std::string>& prefixes,
                                                           ldcache::Arch arch) const {
  std::vector<LocatedLibrary> found;
  std::set<std::string> seen;
  auto add = [&](const std::string& path, const std::string& name) {
    auto resolved = resolve_file(path);
    if (!resolved || !seen.insert(*resolved).second) return;
    found.push_back({*resolved, join_root(root_.host_path(), *resolved), name});
  };
  for (const auto& e : cache_) {
    if (e.is_elf() && e.arch() == arch && has_prefix(e.key, prefixes)) add(e.path, e.key);
  }
  if (arch == ldcache::Arch::kX86_64) {
    for (const auto& [dir, name] : dir_entries_) {
      if (has_prefix(name, prefixes)) add(dir + (dir == "/" ? "" : "/") + name, name);
    }
  }
  return found;
}

std::optional<LocatedLibrary> LibraryLocator::find(const std::string& name) const {
  for (auto& lib : find_by_prefix({name})) {
    if (lib.found_as == name) return lib;
  }
  return std::nullopt;
}

}  // namespace gpuhooks::discovery
