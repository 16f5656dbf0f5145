#include "common/ldcache/cache_plan.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "common/error.h"
#include "common/ldcache/cache_writer.h"
#include "common/ldcache/ld_so_conf.h"

namespace gpuhooks::ldcache {
namespace {

constexpr const char* kCache = "/etc/ld.so.cache";
constexpr const char* kLdSoConf = "/etc/ld.so.conf";
constexpr std::string_view kGenerator = "gpuhooks update-ldcache";
constexpr size_t kUnranked = std::numeric_limits<size_t>::max();

using DirId = std::pair<dev_t, ino_t>;

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// Directories by identity (a directory has several names: /lib -> usr/lib, symlinked folders), looked up once.
class Dirs {
 public:
  explicit Dirs(const rootfs::InRoot& root) : root_(root) {}
  std::optional<DirId> id(const std::string& dir) {
    auto [it, added] = ids_.try_emplace(dir);
    if (added)
      if (auto st = root_.stat(dir); st && S_ISDIR(st->st_mode)) it->second = DirId{st->st_dev, st->st_ino};
    return it->second;
  }

 private:
  const rootfs::InRoot& root_;
  std::map<std::string, std::optional<DirId>> ids_;
};

struct Ranked {
  CacheEntry entry;
  size_t rank;
};

}  // namespace

std::optional<CacheImage> read_image_cache(const rootfs::InRoot& root, Arch arch, std::string* why_not) {
  auto no = [&](std::string why) -> std::optional<CacheImage> {
    *why_not = std::move(why);
    return std::nullopt;
  };
  if (arch != Arch::kX86_64) return no("this build's ldconfig flag rules are not known to the cache writer");
  auto st = root.stat(kCache);
  if (!st && !root.lstat(kCache)) return no("the image has no /etc/ld.so.cache");
  if (!st) return no("/etc/ld.so.cache does not resolve inside the container root");
  if (!S_ISREG(st->st_mode)) return no("/etc/ld.so.cache is not a regular file");
  if (static_cast<uint64_t>(st->st_size) > kMaxCacheBytes)
    return no("/etc/ld.so.cache is larger than " + std::to_string(kMaxCacheBytes >> 20) + " MiB");
  try {
    return parse_cache_image(root.read_file(kCache, kMaxCacheBytes), kCache);
  } catch (const std::exception& e) {
    return no(e.what());
  }
}

namespace {

// The requested folders, then what else ldconfig would index: directories the configuration names now and did not
// before (our system-paths drop-in), unless the image's cache already holds entries from them.
std::vector<std::string> directories_to_scan(Dirs& dirs, const CacheImage& image,
                                             const std::vector<std::string>& folders,
                                             const std::vector<std::string>& configured_before,
                                             const std::vector<std::string>& configured) {
  std::vector<std::string> out = folders;
  std::set<DirId> known;
  for (const auto& d : configured_before)
    if (auto id = dirs.id(d)) known.insert(*id);
  for (const auto& e : image.entries)
    if (auto id = dirs.id(parent_of(e.path))) known.insert(*id);
  for (const auto& d : configured)
    if (auto id = dirs.id(d); id && known.insert(*id).second) out.push_back(d);
  return out;
}

// Stable, with the image's entries first: among entries the loader cannot tell apart and of equal rank, the image's
// own order stays, then ours.
std::vector<CacheEntry> in_loader_order(std::vector<Ranked> image_entries, std::vector<Ranked> ours,
                                        const std::vector<std::string>& hwcaps_subdirs) {
  std::vector<Ranked> all = std::move(image_entries);
  all.insert(all.end(), std::make_move_iterator(ours.begin()), std::make_move_iterator(ours.end()));
  std::stable_sort(all.begin(), all.end(), [&](const Ranked& a, const Ranked& b) {
    if (cache_order(a.entry, b.entry, hwcaps_subdirs)) return true;
    if (cache_order(b.entry, a.entry, hwcaps_subdirs)) return false;
    return a.rank < b.rank;
  });
  std::vector<CacheEntry> out;
  out.reserve(all.size());
  for (auto& r : all) out.push_back(std::move(r.entry));
  return out;
}

}  // namespace

CachePlan plan_cache(const rootfs::InRoot& root, const CacheImage& image, const std::vector<std::string>& folders,
                     const std::vector<std::string>& configured_before, Arch arch) {
  CachePlan plan;
  plan.hwcaps_subdirs = image.hwcaps_subdirs;
  Dirs dirs(root);
  // ldconfig's directory order: the configuration's, each directory once under its first name.
  const std::vector<std::string> configured = configured_dirs(root, kLdSoConf);
  std::map<DirId, size_t> rank;
  for (size_t i = 0; i < configured.size(); ++i)
    if (auto id = dirs.id(configured[i])) rank.try_emplace(*id, i);
  auto rank_of = [&](const std::string& dir) {
    auto id = dirs.id(dir);
    auto it = id ? rank.find(*id) : rank.end();
    return it == rank.end() ? kUnranked : it->second;
  };

  std::vector<std::string> scanned_names;  // as written in the cache: the first configured name of the directory
  std::set<DirId> scanned_ids;
  std::vector<Ranked> ours;
  for (const auto& requested : directories_to_scan(dirs, image, folders, configured_before, configured)) {
    std::string folder = normalise_dir(requested);
    if (folder.empty()) continue;
    if (const size_t r = rank_of(folder); r != kUnranked) folder = configured[r];
    if (std::find(scanned_names.begin(), scanned_names.end(), folder) != scanned_names.end()) continue;
    scanned_names.push_back(folder);
    if (auto id = dirs.id(folder)) scanned_ids.insert(*id);
    FolderScan scan = scan_folder(root, folder, arch);
    if (!scan.needs_ldconfig.empty()) {
      plan.use_ldconfig = scan.needs_ldconfig;
      return plan;
    }
    plan.links.insert(plan.links.end(), scan.links.begin(), scan.links.end());
    for (const auto& lib : scan.libraries)
      ours.push_back({CacheEntry{lib.soname, folder + "/" + lib.soname, lib.flags, 0}, rank_of(folder)});
  }
  std::vector<Ranked> kept;
  for (const auto& e : image.entries) {
    const std::string dir = parent_of(e.path);
    auto id = dirs.id(dir);
    if ((id && scanned_ids.count(*id)) ||
        std::find(scanned_names.begin(), scanned_names.end(), normalise_dir(dir)) != scanned_names.end()) {
      ++plan.dropped;
    } else {
      kept.push_back({e, rank_of(dir)});
    }
  }
  plan.kept = kept.size();
  plan.added = ours.size();
  plan.entries = in_loader_order(std::move(kept), std::move(ours), plan.hwcaps_subdirs);
  return plan;
}

void apply_cache(const rootfs::InRoot& root, const CachePlan& plan) {
  // Each folder is looked up once for all its links (symlink_all), not once a link: on an overlay the lookup costs
  // about what the symlinkat does. As ldconfig ("Can't link ..."), a link that cannot be made is reported and the
  // rest are still made and the cache written: driver folders are often read-only bind mounts, and their links are
  // then the spec's to make.
  std::vector<std::pair<std::string, std::string>> links;
  links.reserve(plan.links.size());
  for (const auto& l : plan.links) links.emplace_back(l.target, l.path);
  // symlink_all stops at the first link it cannot make, with `made` holding one result for each link before it.
  std::vector<rootfs::InRoot::LinkMade> made;
  while (!links.empty()) {
    try {
      root.symlink_all(links, made);
      break;
    } catch (const Error& e) {
      const auto& [target, path] = links[made.size()];
      spdlog::warn("Cannot make the soname link {} -> {}: {}", rootfs::printable(path), rootfs::printable(target),
                   e.what());
      links.erase(links.begin(), links.begin() + static_cast<long>(made.size()) + 1);
    }
  }
  // write_file: a new O_EXCL temporary name beside the cache, then renameat over it, so a killed hook leaves the old
  // cache or the new one. No fsync (ldconfig 2.36 does one): measured on this ext4 it costs ~8 ms, more than the
  // ldconfig process we save, and it only matters for a host crash before writeback; ext4 flushes a file renamed over
  // another anyway (auto_da_alloc), and a cache damaged elsewhere is one read_image_cache refuses, so the next start
  // has ldconfig rebuild it.
  root.write_file(kCache, encode_cache(plan.entries, plan.hwcaps_subdirs, kGenerator), 0644);
}

}  // namespace gpuhooks::ldcache
