#include "common/ldcache/ld_so_conf.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "common/error.h"

namespace gpuhooks::ldcache {
namespace {

constexpr int kMaxIncludeDepth = 16;  // a cycle of includes is cut by "each file once"; this bounds odd chains
// The image writes the patterns, and symlink loops in its root make a pattern of n wildcard components ("include
// /l/*/*/*/...") visit 2^n entries or more: 18 steps took 2 s, 30 would take hours. A real configuration visits a
// few dozen entries ("include /etc/ld.so.conf.d/*.conf"); past this many, counted over every pattern of one reading
// (directory entries listed plus final paths checked), the configuration is refused.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// The fuzz build (scripts/fuzz) refuses sooner: the same code reaches the refusal at a sixteenth of the cost, so an
// input that spends the whole budget no longer holds the fuzzer for 10 ms (docs/fuzzing.md).
constexpr size_t kMaxGlobEntries = 1 << 12;
#else
constexpr size_t kMaxGlobEntries = 1 << 16;
#endif
// ldconfig reads each configuration file whole (a line at a time with getline: a sparse multi-GB file without a
// newline is one allocation of its size). Real ones are a few hundred bytes; a larger one is refused before
// ldconfig runs.
constexpr off_t kMaxConfBytes = 1 << 20;

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string parent_dir(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos || pos == 0) return "/";
  return path.substr(0, pos);
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

class GlobWalk;
void glob_walk(GlobWalk& walk, const std::vector<std::string>& parts, size_t i, const std::string& prefix,
               std::vector<std::string>& out, const std::string& pattern);

// One reading's globbing: the budget and what it has looked up. An image's configuration may repeat patterns
// ("include * * * ..." by the thousand) and walk the same folders under other patterns; each folder is listed, each
// path looked up and each pattern walked once per reading. A repeat spends 1 + its matches, not its walk again: the
// budget bounds the work done, and none of a repeat's is syscalls. What is kept is bounded too: past kMaxKeptBytes
// of keys and names, a lookup is made again instead of kept, so distinct long patterns cost time within the budget,
// never memory. Kept lists are shared, not copied, with the caller: a repeat allocates nothing.
class GlobWalk {
 public:
  using Names = std::shared_ptr<const std::vector<std::string>>;

  explicit GlobWalk(const rootfs::InRoot& root) : root_(root) {}

  // The pattern's matches, sorted as glob(3) sorts them; never null.
  Names glob(const std::string& pattern) {
    if (auto it = globbed_.find(pattern); it != globbed_.end()) {
      spend(1 + it->second->size(), pattern);
      return it->second;
    }
    auto out = std::make_shared<std::vector<std::string>>();
    // No path longer than PATH_MAX can be opened, so such a pattern matches nothing (glob(3) fails the same way);
    // this also bounds the recursion over wildcard components.
    if (pattern.size() < PATH_MAX) glob_walk(*this, rootfs::path_components(pattern), 0, "/", *out, pattern);
    if (keep(pattern.size() + bytes_of(*out))) globbed_.emplace(pattern, out);
    return out;
  }
  void spend(size_t n, const std::string& pattern) {
    if (n > left_)
      throw Error("the linker configuration's include pattern " + rootfs::printable(pattern) + " visits more than " +
                  std::to_string(kMaxGlobEntries) + " directory entries (a symlink loop?); refusing it");
    left_ -= n;
  }
  // The sorted names in `dir`; null when it is missing or not a folder. No is_directory() first: the listing
  // opens with O_DIRECTORY, so a missing path or a non-directory fails there, one in-root lookup, not two.
  Names list(const std::string& dir) {
    if (auto it = listings_.find(dir); it != listings_.end()) return it->second;
    Names names;
    if (auto listed = root_.try_list_dir(dir)) {
      std::sort(listed->begin(), listed->end());
      names = std::make_shared<const std::vector<std::string>>(std::move(*listed));
    }
    if (keep(dir.size() + (names ? bytes_of(*names) : 0))) listings_.emplace(dir, names);
    return names;
  }
  bool exists(const std::string& path) {
    if (auto it = exists_.find(path); it != exists_.end()) return it->second;
    const bool found = root_.exists(path);
    if (keep(path.size())) exists_.emplace(path, found);
    return found;
  }

 private:
  static constexpr size_t kMaxKeptBytes = 8 << 20;

  static size_t bytes_of(const std::vector<std::string>& names) {
    size_t n = 0;
    for (const auto& name : names) n += name.size() + 1;
    return n;
  }
  bool keep(size_t bytes) {
    if (bytes > kMaxKeptBytes - kept_bytes_) return false;
    kept_bytes_ += bytes;
    return true;
  }

  const rootfs::InRoot& root_;
  size_t left_ = kMaxGlobEntries;
  size_t kept_bytes_ = 0;
  std::map<std::string, Names> globbed_;
  std::map<std::string, Names> listings_;
  std::map<std::string, bool> exists_;
};

struct ConfReader {
  const rootfs::InRoot& root;
  std::vector<std::string> dirs;
  std::set<std::string> seen_dirs;
  std::set<std::string> read_files;
  GlobWalk walk;

  void add_dir(const std::string& raw) {
    std::string d = normalise_dir(raw);
    if (!d.empty() && seen_dirs.insert(d).second) dirs.push_back(d);
  }

  void read(const std::string& file, int depth) {
    if (depth > kMaxIncludeDepth || !read_files.insert(file).second) return;
    auto st = root.stat(file);
    // ldconfig opens what the configuration names, and a FIFO nobody writes (or a device: /dev/zero never ends)
    // blocks or feeds it forever. Refused here, before ldconfig runs, with its name; the run's deadline is the
    // second line, for what changes after this look.
    if (st && (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
      throw Error("linker configuration file " + rootfs::printable(file) + " is a " +
                  (S_ISFIFO(st->st_mode) ? "FIFO" : "device") + "; refusing to run ldconfig on it");
    if (!st || !S_ISREG(st->st_mode)) return;
    if (st->st_size > kMaxConfBytes)
      throw Error("linker configuration file " + rootfs::printable(file) + " is " + std::to_string(st->st_size) +
                  " bytes, more than 1 MiB; refusing to run ldconfig on it");
    std::string content;
    try {
      content = root.read_file(file);
    } catch (const std::exception&) {
      return;  // unreadable configuration is skipped, as ldconfig does
    }
    parse(file, content, depth);
  }

  void parse(const std::string& file, const std::string& content, int depth) {
    std::stringstream lines(content);
    std::string line;
    while (std::getline(lines, line)) {
      if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      line = trim(line);
      if (line.empty()) continue;
      std::stringstream words(line);
      std::string first;
      words >> first;
      if (first == "include") {
        std::string pattern;
        while (words >> pattern) {
          if (pattern[0] != '/') pattern = parent_dir(file) + "/" + pattern;
          const auto matches = walk.glob(pattern);  // held here: the walk may not keep them
          for (const auto& match : *matches) read(match, depth + 1);
        }
      } else if (first != "hwcap") {
        add_dir(line);
      }
    }
  }
};

void glob_walk(GlobWalk& walk, const std::vector<std::string>& parts, size_t i, const std::string& prefix,
               std::vector<std::string>& out, const std::string& pattern) {
  if (i == parts.size()) {
    walk.spend(1, pattern);
    if (walk.exists(prefix)) out.push_back(prefix);
    return;
  }
  if (!has_wildcard(parts[i])) {
    // Literal components are joined in a loop, not one call each: an image's include line decides how many
    // there are ("./././..."), and the walk may run on the isolated child's own, bounded stack.
    std::string path = prefix;
    while (i < parts.size() && !has_wildcard(parts[i])) path += (path == "/" ? "" : "/") + parts[i++];
    glob_walk(walk, parts, i, path, out, pattern);
    return;
  }
  const std::string base = prefix == "/" ? "/" : prefix + "/";
  const auto names = walk.list(prefix);
  if (!names) return;
  walk.spend(names->size(), pattern);
  const bool last = i + 1 == parts.size();
  for (const auto& name : *names) {
    if (::fnmatch(parts[i].c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    if (last) {
      walk.spend(1, pattern);
      out.push_back(base + name);  // a name of the listing: there is nothing to look up (glob(3) looks up none)
    } else {
      glob_walk(walk, parts, i + 1, base + name, out, pattern);
    }
  }
}

}  // namespace

std::vector<std::string> system_search_paths(bool debian_like, Arch arch) {
  std::vector<std::string> paths;
  if (debian_like) {
    if (arch == Arch::kX86_64) paths = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"};
    if (arch == Arch::kAarch64) paths = {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"};
    paths.insert(paths.end(), {"/lib", "/usr/lib"});
    return paths;
  }
  paths = {"/lib", "/usr/lib"};
  if (arch == Arch::kX86_64) paths.insert(paths.end(), {"/lib64", "/usr/lib64", "/libx32", "/usr/libx32"});
  if (arch == Arch::kAarch64) paths.insert(paths.end(), {"/lib64", "/usr/lib64"});
  return paths;
}

bool is_debian_like(const rootfs::InRoot& root) { return root.is_regular_file("/etc/debian_version"); }

std::vector<std::string> configured_dirs(const rootfs::InRoot& root, const std::string& conf_path,
                                         const std::optional<std::string>& content) {
  ConfReader reader{root, {}, {}, {}, GlobWalk(root)};
  if (content) {
    reader.read_files.insert(conf_path);
    reader.parse(conf_path, *content, 0);
  } else {
    reader.read(conf_path, 0);
  }
  return reader.dirs;
}

std::vector<std::string> glob_in_root(const rootfs::InRoot& root, const std::string& pattern) {
  GlobWalk walk(root);
  return *walk.glob(pattern);
}

std::string normalise_dir(const std::string& dir) {
  if (dir.empty()) return "";
  auto parts = rootfs::path_components(dir);
  std::string out = dir[0] == '/' ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "/" : out;
}

}  // namespace gpuhooks::ldcache
