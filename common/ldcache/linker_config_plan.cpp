#include "common/ldcache/linker_config_plan.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/random_bits.h"

namespace gpuhooks::ldcache {
namespace {

constexpr const char* kLdSoConf = "/etc/ld.so.conf";
constexpr const char* kLdSoConfD = "/etc/ld.so.conf.d";
constexpr const char* kDefaultLdSoConf = "include /etc/ld.so.conf.d/*.conf\n";

// A relative target climbs above the root when its ".." outnumber the depth of the link's directory.
bool leaves_root(const std::string& target, size_t parent_depth) {
  if (!target.empty() && target[0] == '/') return true;  // on the host this names a host path
  long depth = static_cast<long>(parent_depth);
  for (const auto& part : rootfs::path_components(target)) {
    if (part == "..") {
      if (--depth < 0) return true;
    } else if (part != ".") {
      ++depth;
    }
  }
  return false;
}

// How deep below the root a directory lies once a symlink at it is followed, worked out lexically (".." clamped at
// the root). No InRoot::resolve: that needs /proc, and this also runs after the pivot, where there may be none.
size_t depth_after_link(const rootfs::InRoot& root, const std::string& dir) {
  auto target = root.readlink(dir);
  std::string path = !target ? dir : (!target->empty() && (*target)[0] == '/') ? *target : dir + "/../" + *target;
  size_t depth = 0;
  for (const auto& part : rootfs::path_components(path)) {
    if (part == "..") {
      if (depth > 0) --depth;
    } else if (part != ".") {
      ++depth;
    }
  }
  return depth;
}

// Go's os.CreateTemp puts a random decimal string in place of "*"; the same shape keeps file names familiar.
std::string random_decimal() { return std::to_string(static_cast<uint32_t>(random_bits())); }

// The content of `path` when it is a regular file that can be read; nothing otherwise (a symlink, FIFO or directory
// under that name, or a read that fails, e.g. without /proc on a kernel without openat2): such a file is simply
// not one of ours, and never stops the hook.
std::optional<std::string> read_regular_file(const rootfs::InRoot& root, const std::string& path) {
  try {
    auto st = root.lstat(path);
    if (!st || !S_ISREG(st->st_mode)) return std::nullopt;
    return root.read_file(path);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A container that is started again (docker start, podman restart, a restarted pod) runs its createContainer hooks
// again on the same root. The reference then adds another zz-nvcr-*.conf (and 00-nvcr-*.conf) every time; a drop-in
// of ours with the same content is reused instead, so starts are idempotent. Only regular files count: a symlink
// planted under our name is never written through and never taken as ours. An empty one is what a hook killed
// between creating and writing it leaves where the filesystem has no O_TMPFILE (overlayfs before Linux 6.6): it is
// filled instead of adding one more. Else a new name. The drop-ins are listed and read once for both questions.
std::string drop_in_for(const rootfs::InRoot& root, const std::string& prefix, const std::string& content,
                        LinkerConfigPlan& plan, const std::string& why) {
  std::optional<std::string> empty;
  for (const auto& path : glob_in_root(root, std::string(kLdSoConfD) + "/" + prefix + "*.conf")) {
    const auto text = read_regular_file(root, path);
    if (text == content) return path;
    if (text && text->empty() && !empty) empty = path;
  }
  if (empty) {
    plan.writes.push_back({ConfigWrite::Mode::kAppend, *empty, content, why + " (an empty drop-in of ours, filled)"});
    return *empty;
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string path = std::string(kLdSoConfD) + "/" + prefix + random_decimal() + ".conf";
    if (root.exists(path) || plan.creates(path)) continue;
    plan.writes.push_back({ConfigWrite::Mode::kCreate, path, content, why});
    return path;
  }
  throw Error(std::string("failed to find an unused name for ") + kLdSoConfD + "/" + prefix + "*.conf");
}

// What to append to the musl path file: the lines of `wanted` it does not list yet (a restarted container appends
// nothing twice), behind a newline when the image's file does not end with one.
std::string musl_append_text(const rootfs::InRoot& root, const std::string& path,
                             const std::vector<std::string>& wanted) {
  std::set<std::string> have;
  const std::string text = read_regular_file(root, path).value_or("");
  std::istringstream lines_in(text);
  for (std::string line; std::getline(lines_in, line);) have.insert(line);
  std::string out;
  for (const auto& w : wanted)
    if (have.insert(w).second) out += w + "\n";
  if (!out.empty() && !text.empty() && text.back() != '\n') out.insert(0, "\n");
  return out;
}

// 00-nvcr-<digits>.conf or zz-nvcr-<digits>.conf: the names drop_in_for gives.
bool is_our_drop_in_name(const std::string& name) {
  const std::string suffix = ".conf";
  if (name.rfind("00-nvcr-", 0) != 0 && name.rfind("zz-nvcr-", 0) != 0) return false;
  if (name.size() <= 8 + suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  return std::all_of(name.begin() + 8, name.end() - static_cast<long>(suffix.size()),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += i + "\n";
  return out;
}

std::string musl_path_file(Arch arch) {
  if (arch == Arch::kX86_64) return "/etc/ld-musl-x86_64.path";
  if (arch == Arch::kAarch64) return "/etc/ld-musl-aarch64.path";
  return "";
}

}  // namespace

void refuse_read_only_root(const rootfs::InRoot& root) {
  struct statvfs vfs {};
  if (::fstatvfs(root.fd(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    throw Error("container root " + rootfs::printable(root.host_path()) +
                " is read-only; cannot write its linker configuration (" + kLdSoConfD + ")");
}

void refuse_escaping_conf_links(const rootfs::InRoot& root) {
  for (const std::string path : {"/etc", kLdSoConfD}) {
    auto target = root.readlink(path);
    if (!target) continue;
    auto [parent, name] = rootfs::split_parent(path);
    if (leaves_root(*target, parent == "/" ? 0 : depth_after_link(root, parent)))
      throw Error(path + " in the container root is a symlink to " + *target + "; refusing to follow it");
  }
}

bool LinkerConfigPlan::creates(const std::string& path) const {
  return std::any_of(writes.begin(), writes.end(),
                     [&](const ConfigWrite& w) { return w.mode == ConfigWrite::Mode::kCreate && w.path == path; });
}

LinkerConfigPlan plan_linker_config(const rootfs::InRoot& root, const std::vector<std::string>& folders, Arch arch) {
  refuse_escaping_conf_links(root);
  LinkerConfigPlan plan;
  // The reference creates it with O_EXCL and never touches an existing file (even a dangling symlink counts).
  std::optional<std::string> new_ld_so_conf;
  if (!root.exists(kLdSoConf)) {
    new_ld_so_conf = kDefaultLdSoConf;
    plan.writes.push_back({ConfigWrite::Mode::kCreate, kLdSoConf, kDefaultLdSoConf, "the root has no ld.so.conf"});
  }

  const auto system_paths = system_search_paths(is_debian_like(root), arch);
  std::set<std::string> known(system_paths.begin(), system_paths.end());
  const auto configured = configured_dirs(root, kLdSoConf, new_ld_so_conf);
  for (const auto& d : configured) known.insert(d);
  if (!new_ld_so_conf) plan.configured_before = configured;  // a root with no ld.so.conf names none
  for (const auto& f : folders) {
    std::string d = normalise_dir(f);
    if (!d.empty() && known.insert(d).second) plan.added_folders.push_back(d);
  }

  if (!plan.added_folders.empty())
    plan.folders_file = drop_in_for(root, "00-nvcr-", lines(plan.added_folders), plan,
                                    "requested folders the configuration does not name yet");
  plan.system_paths_file = drop_in_for(root, "zz-nvcr-", lines(system_paths), plan,
                                       "the container's system search paths, for a host ldconfig built with others");

  if (root.is_regular_file("/etc/alpine-release") && !musl_path_file(arch).empty()) {
    std::vector<std::string> musl = plan.added_folders;
    std::set<std::string> in_musl(musl.begin(), musl.end());
    for (const auto& p : system_paths)
      if (in_musl.insert(p).second) musl.push_back(p);
    plan.musl_path_file = musl_path_file(arch);
    std::string text = musl_append_text(root, plan.musl_path_file, musl);
    if (!text.empty())
      plan.writes.push_back({ConfigWrite::Mode::kAppend, plan.musl_path_file, text,
                             "an Alpine root: musl's loader reads its path file, not ld.so.cache"});
  }
  return plan;
}

LinkerConfigBefore linker_config_before(const rootfs::InRoot& root) {
  LinkerConfigBefore before;
  try {
    before.had_etc = root.lstat("/etc").has_value();
    before.had_conf_d = root.lstat(kLdSoConfD).has_value();
    before.had_ld_so_conf = root.lstat(kLdSoConf).has_value();
    if (root.is_directory(kLdSoConfD)) before.conf_d_names = root.list_dir(kLdSoConfD);
    before.known = true;
  } catch (const std::exception&) {
    // Not known: nothing will be taken back (the run itself meets what failed here, and says so).
  }
  return before;
}

void undo_linker_config(const rootfs::InRoot& root, const LinkerConfigBefore& before) {
  if (!before.known) return;
  auto remove_quietly = [&](const std::string& path) {
    try {
      root.remove(path);
    } catch (const std::exception&) {
    }
  };
  try {
    if (before.had_conf_d || root.is_directory(kLdSoConfD)) {
      for (const auto& name : root.list_dir(kLdSoConfD)) {
        const std::string path = std::string(kLdSoConfD) + "/" + name;
        if (std::find(before.conf_d_names.begin(), before.conf_d_names.end(), name) == before.conf_d_names.end() &&
            is_our_drop_in_name(name) && read_regular_file(root, path))
          remove_quietly(path);
      }
    }
  } catch (const std::exception&) {
  }
  if (!before.had_ld_so_conf && read_regular_file(root, kLdSoConf) == kDefaultLdSoConf) remove_quietly(kLdSoConf);
  // remove() takes only an empty directory: one that holds anything else is left as it is.
  if (!before.had_conf_d) remove_quietly(kLdSoConfD);
  if (!before.had_etc) remove_quietly("/etc");
}

void apply_linker_config(const rootfs::InRoot& root, const LinkerConfigPlan& plan) {
  for (const auto& w : plan.writes) {
    if (w.mode == ConfigWrite::Mode::kCreate) {
      root.create_file(w.path, w.content, 0644);
    } else {
      root.append_file(w.path, w.content, 0644);
    }
  }
}

}  // namespace gpuhooks::ldcache
