#include "common/rootfs/in_root.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <iterator>
#include <map>

#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/random_bits.h"
#include "common/rootfs/hook_deadline.h"

namespace gpuhooks::rootfs {
namespace {

constexpr int kMaxSymlinks = 40;       // the kernel's own limit (MAXSYMLINKS)
std::atomic<int> g_openat2_state{-1};  // -1 unknown, 0 absent, 1 present
std::atomic<bool> g_force_fallback{false};
std::atomic<bool> g_force_named_create{false};

std::deque<std::string> components(std::string_view path) {
  auto parts = path_components(path);
  return {std::make_move_iterator(parts.begin()), std::make_move_iterator(parts.end())};
}

std::string relative(std::string_view path) {
  std::string p(path);
  size_t start = p.find_first_not_of('/');
  if (start == std::string::npos) return ".";
  return p.substr(start);
}

long sys_openat2(int dirfd, const char* path, int flags, mode_t mode, unsigned long long resolve) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags) | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

// The fallback walk: what RESOLVE_IN_ROOT does, in user space. Each step opens one component with O_NOFOLLOW
// relative to the directory fd reached so far; symlinks are read and their components pushed back on the queue,
// absolute ones restarting at the root; ".." pops the stack but never below the root.
int walk_in_root(int root_fd, std::string_view path, bool follow_final) {
  std::deque<std::string> queue = components(path);
  std::vector<UniqueFd> stack;  // directories below the root; empty = at the root
  auto current = [&] { return stack.empty() ? root_fd : stack.back().get(); };
  int links = 0;
  while (!queue.empty()) {
    std::string name = std::move(queue.front());
    queue.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    int fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    UniqueFd next(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return -errno;
    const bool last = queue.empty();
    if (S_ISLNK(st.st_mode) && (!last || follow_final)) {
      if (++links > kMaxSymlinks) return -ELOOP;
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(fd, "", buf, sizeof(buf) - 1);
      if (n < 0) return -errno;
      std::string target(buf, static_cast<size_t>(n));
      auto parts = components(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) queue.push_front(*it);
      if (!target.empty() && target[0] == '/') stack.clear();
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) return -ENOTDIR;
    stack.push_back(std::move(next));
  }
  if (stack.empty()) {
    int fd = ::openat(root_fd, ".", O_PATH | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
  }
  return stack.back().release();
}

// Re-opens an O_PATH fd with real access flags through its /proc/self/fd magic link: the kernel opens the very
// inode the fd holds, so no path is resolved a second time.
int reopen(int opath_fd, int flags) {
  std::string p = InRoot::proc_fd_path(opath_fd);
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

std::string random_suffix() {
  static const char* hex = "0123456789abcdef";
  std::string s;
  auto v = random_bits();
  for (int i = 0; i < 12; ++i, v >>= 4) s += hex[v & 15];
  return s;
}

std::string show(std::string_view path) {
  std::string rel = relative(path);
  return printable(rel == "." ? "/" : "/" + rel);
}

}  // namespace

std::string printable(std::string_view path) {
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || ch == '"' || ch == '\\') return oci::quote(path);
  }
  return std::string(path);
}

bool openat2_available() {
  if (g_force_fallback) return false;
  int state = g_openat2_state.load();
  if (state < 0) {
    long fd = sys_openat2(AT_FDCWD, "/", O_PATH, 0, 0);
    state = fd >= 0 ? 1 : (errno == ENOSYS ? 0 : 1);
    if (fd >= 0) ::close(static_cast<int>(fd));
    g_openat2_state = state;
  }
  return state == 1;
}

void force_fallback_walk(bool on) { g_force_fallback = on; }
void force_named_create(bool on) { g_force_named_create = on; }

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::pair<std::string, std::string> split_parent(std::string_view path) {
  auto parts = path_components(path);
  if (parts.empty()) throw Error("path " + std::string(path) + " names the container root itself");
  std::string base = parts.back();
  if (base == "." || base == "..") throw Error("path " + std::string(path) + " does not end in a name");
  parts.pop_back();
  std::string parent = "/";
  for (size_t i = 0; i < parts.size(); ++i) parent += (i ? "/" : "") + parts[i];
  return {parent, base};
}

std::string InRoot::proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

InRoot::InRoot(const std::filesystem::path& host_root) : host_root_(host_root) {
  int fd = ::open(host_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw sys_error("failed to open container root " + printable(host_root));
  root_.reset(fd);
}

UniqueFd InRoot::try_open(std::string_view path, int flags, Follow follow, int* err) const {
  if (flags & O_CREAT) throw Error("InRoot::open does not create files");
  const std::string rel = relative(path);
  const bool nofollow = follow == Follow::kNoFinal;
  if (openat2_available()) {
    int open_flags = flags | (nofollow ? O_NOFOLLOW : 0);
    for (int attempt = 0; attempt < 8; ++attempt) {
      long fd = sys_openat2(root_.get(), rel.c_str(), open_flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0) return UniqueFd(static_cast<int>(fd));
      if (errno == EAGAIN) continue;  // a concurrent rename raced a ".." step; the kernel asks us to retry
      if (errno == ENOSYS) break;
      if (err) *err = errno;
      return UniqueFd();
    }
  }
  int fd = walk_in_root(root_.get(), rel, !nofollow);
  if (fd >= 0) {
    UniqueFd opath(fd);
    struct stat st {};
    if (::fstat(opath.get(), &st) != 0) {
      fd = -errno;
    } else if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) {
      fd = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
    } else if (flags & O_PATH) {
      fd = opath.release();
    } else if (S_ISLNK(st.st_mode)) {
      fd = -ELOOP;  // as O_NOFOLLOW on a symlink without O_PATH
    } else {
      fd = reopen(opath.get(), flags & ~O_NOFOLLOW);
    }
  }
  if (fd < 0) {
    if (err) *err = -fd;
    return UniqueFd();
  }
  return UniqueFd(fd);
}

UniqueFd InRoot::open(std::string_view path, int flags, Follow follow) const {
  int err = 0;
  UniqueFd fd = try_open(path, flags, follow, &err);
  if (!fd.valid()) throw sys_error("failed to open " + show(path) + " in container root " + printable(host_root_), err);
  return fd;
}

std::optional<struct stat> InRoot::lstat(std::string_view path) const {
  int err = 0;
  UniqueFd fd = try_open(path, O_PATH, Follow::kNoFinal, &err);
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return std::nullopt;
  return st;
}

std::optional<struct stat> InRoot::stat(std::string_view path) const {
  int err = 0;
  UniqueFd fd = try_open(path, O_PATH, Follow::kAll, &err);
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return std::nullopt;
  return st;
}

bool InRoot::is_regular_file(std::string_view path) const {
  auto st = stat(path);
  return st && S_ISREG(st->st_mode);
}

bool InRoot::is_directory(std::string_view path) const {
  auto st = stat(path);
  return st && S_ISDIR(st->st_mode);
}

std::optional<std::string> InRoot::readlink(std::string_view path) const {
  int err = 0;
  UniqueFd fd = try_open(path, O_PATH, Follow::kNoFinal, &err);
  if (!fd.valid()) return std::nullopt;
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(fd.get(), "", buf, sizeof(buf));
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

std::string InRoot::resolve(std::string_view path) const {
  UniqueFd fd = open(path, O_PATH, Follow::kAll);
  char buf[PATH_MAX];
  ssize_t n = ::readlink(proc_fd_path(fd.get()).c_str(), buf, sizeof(buf));
  if (n < 0) throw sys_error("failed to resolve " + show(path) + " in container root");
  ssize_t rn = ::readlink(proc_fd_path(root_.get()).c_str(), buf + n, sizeof(buf) - static_cast<size_t>(n));
  if (rn < 0) throw sys_error("failed to resolve the container root");
  std::string full(buf, static_cast<size_t>(n));
  std::string root(buf + n, static_cast<size_t>(rn));
  if (root == "/") return full;
  if (full == root) return "/";
  if (full.compare(0, root.size() + 1, root + "/") != 0)
    throw Error(show(path) + " resolved outside the container root");
  return full.substr(root.size());
}

UniqueFd InRoot::mkdir_all(std::string_view path, mode_t mode) const {
  // Usually the directory is there already (the second of 20 links into one folder, a driver folder the image
  // has): one resolution of the whole path instead of one per component. It resolves exactly as the walk below
  // would, since both resolve inside the root.
  int whole_err = 0;
  UniqueFd whole = try_open(path, O_PATH | O_DIRECTORY, Follow::kAll, &whole_err);
  if (whole.valid()) return whole;
  auto parts = components(path);
  // Else usually only the last directory is missing (/etc/ld.so.conf.d in an image with an /etc): its parent is
  // resolved once and the new one opened beside it, by its one name, not followed. Anything else (more missing, a
  // symlink under that name, a failure to report) is the walk's.
  if (whole_err == ENOENT && !parts.empty() && parts.back() != "." && parts.back() != "..") {
    const auto [parent, name] = split_parent(path);
    int err = 0;
    UniqueFd dir = try_open(parent, O_PATH | O_DIRECTORY, Follow::kAll, &err);
    if (dir.valid() && (::mkdirat(dir.get(), name.c_str(), mode) == 0 || errno == EEXIST)) {
      UniqueFd made(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (made.valid()) return made;
    }
  }
  std::string prefix = "/";
  UniqueFd dir = open("/", O_PATH | O_DIRECTORY);
  for (const auto& name : parts) {
    std::string next = prefix + (prefix == "/" ? "" : "/") + name;
    int err = 0;
    UniqueFd fd = try_open(next, O_PATH | O_DIRECTORY, Follow::kAll, &err);
    if (!fd.valid() && err == ENOENT && name != ".." && name != ".") {
      if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST)
        throw sys_error("failed to create directory " + printable(next) + " in container root " +
                        printable(host_root_));
      fd = try_open(next, O_PATH | O_DIRECTORY, Follow::kAll, &err);
      // A dangling symlink: its target is taken inside the root, where it does not exist. We refuse rather than
      // create directories along a path the image chose (often a host path meant as an escape).
      if (!fd.valid() && err == ENOENT)
        throw Error("failed to create directory " + printable(next) + " in container root " + printable(host_root_) +
                    ": it is a symlink whose target does not exist inside the container root");
    }
    if (!fd.valid())
      throw sys_error("failed to create directory " + printable(next) + " in container root " + printable(host_root_),
                      err);
    dir = std::move(fd);
    prefix = next;
  }
  return dir;
}

namespace {

// Makes `base` in `dir` a symlink to `target`. A new name is created directly (symlinkat is atomic); only an existing
// entry is replaced through a temporary link and rename, which costs a second directory update (measured: ~40% of
// create-symlinks' kernel time), and one that already points at `target` is left.
InRoot::LinkMade link_in(int dir, const std::string& target, const std::string& base, std::string_view link) {
  if (::symlinkat(target.c_str(), dir, base.c_str()) == 0) return InRoot::LinkMade::kCreated;
  if (errno != EEXIST) throw sys_error("failed to create symlink " + show(link) + " -> " + printable(target));
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(dir, base.c_str(), buf, sizeof buf);
  if (n >= 0 && std::string_view(buf, static_cast<size_t>(n)) == target) return InRoot::LinkMade::kUnchanged;
  const std::string tmp = "." + base + ".gpuhooks-" + random_suffix();
  HookTempFile removed_at_the_hooks_deadline(dir, tmp);
  if (::symlinkat(target.c_str(), dir, tmp.c_str()) != 0)
    throw sys_error("failed to create symlink " + show(link) + " -> " + printable(target));
  if (::renameat(dir, tmp.c_str(), dir, base.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir, tmp.c_str(), 0);
    throw sys_error("failed to create symlink " + show(link) + " -> " + printable(target), err);
  }
  return InRoot::LinkMade::kReplaced;
}

}  // namespace

InRoot::LinkMade InRoot::symlink(const std::string& target, std::string_view link) const {
  auto [parent, base] = split_parent(link);
  UniqueFd dir = mkdir_all(parent);
  return link_in(dir.get(), target, base, link);
}

void InRoot::symlink_all(const std::vector<std::pair<std::string, std::string>>& links,
                         std::vector<LinkMade>& made) const {
  made.clear();
  made.reserve(links.size());
  std::map<std::string, UniqueFd> dirs;
  for (const auto& [target, link] : links) {
    auto [parent, base] = split_parent(link);
    auto it = dirs.find(parent);
    if (it == dirs.end()) it = dirs.emplace(parent, mkdir_all(parent)).first;
    made.push_back(link_in(it->second.get(), target, base, link));
    // A name just made a link may be a folder looked up before (or above one): later links under it resolve anew.
    if (made.back() != LinkMade::kUnchanged) {
      const std::string made_at = parent == "/" ? "/" + base : parent + "/" + base;
      std::erase_if(dirs, [&](const auto& d) {
        return d.first == made_at ||
               (d.first.size() > made_at.size() && d.first.starts_with(made_at) && d.first[made_at.size()] == '/');
      });
    }
  }
}

void write_all(int fd, std::string_view content, const std::string& what) {
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("failed to write " + what);
    }
    off += static_cast<size_t>(n);
  }
}

namespace {

// A hook killed with SIGKILL between creating its temporary name and the rename leaves that name behind (no handler
// runs): the next write of the same file removes what is left of earlier ones. Only regular files of exactly our
// pattern, so nothing the image named itself is touched.
void remove_stale_temporaries(int dir, const std::string& prefix) {
  UniqueFd listing(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // `dir` is an O_PATH fd
  if (!listing.valid()) return;
  std::vector<std::string> stale;
  for_each_entry(listing.get(), [&](std::string_view name, unsigned char type) {
    if (type == DT_REG && name.starts_with(prefix)) stale.emplace_back(name);
  });
  for (const auto& name : stale) ::unlinkat(dir, name.c_str(), 0);
}

}  // namespace

void InRoot::write_file(std::string_view path, std::string_view content, mode_t mode) const {
  auto [parent, base] = split_parent(path);
  UniqueFd dir = mkdir_all(parent);
  remove_stale_temporaries(dir.get(), "." + base + ".gpuhooks-");
  const std::string tmp = "." + base + ".gpuhooks-" + random_suffix();
  HookTempFile removed_at_the_hooks_deadline(dir.get(), tmp);
  int fd = ::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) throw sys_error("failed to create " + show(path) + " in container root " + printable(host_root_));
  UniqueFd file(fd);
  try {
    write_all(file.get(), content, show(path));
    if (::fchmod(file.get(), mode) != 0) throw sys_error("failed to set the mode of " + show(path));
    if (::renameat(dir.get(), tmp.c_str(), dir.get(), base.c_str()) != 0)
      throw sys_error("failed to replace " + show(path));
  } catch (...) {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    throw;
  }
}

void InRoot::create_file(std::string_view path, std::string_view content, mode_t mode) const {
  auto [parent, base] = split_parent(path);
  UniqueFd dir = mkdir_all(parent);
  // Written unnamed and linked under its name once complete: a hook killed half way (SIGKILL) or stopped by a full
  // disk leaves the whole file or no file, never an empty or cut one that a later start takes for someone else's.
  // That needs O_TMPFILE from the filesystem (overlayfs has it only since Linux 6.6) and CAP_DAC_READ_SEARCH for the
  // link; without them the name is created first, and removed again when the write fails. An empty file (a mount
  // target) is whole as soon as it exists: it is created under its name at once, one inode and no link.
  const bool named = g_force_named_create || content.empty();
  UniqueFd unnamed(named ? -1 : ::openat(dir.get(), ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, mode));
  if (unnamed.valid()) {
    write_all(unnamed.get(), content, show(path));
    if (::fchmod(unnamed.get(), mode) != 0) throw sys_error("failed to set the mode of " + show(path));
    if (::linkat(unnamed.get(), "", dir.get(), base.c_str(), AT_EMPTY_PATH) == 0) return;
    if (errno == EEXIST)
      throw sys_error("failed to create " + show(path) + " in container root " + printable(host_root_));
  }
  int fd = ::openat(dir.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) throw sys_error("failed to create " + show(path) + " in container root " + printable(host_root_));
  UniqueFd file(fd);
  try {
    write_all(file.get(), content, show(path));
    if (::fchmod(file.get(), mode) != 0) throw sys_error("failed to set the mode of " + show(path));
  } catch (...) {
    ::unlinkat(dir.get(), base.c_str(), 0);
    throw;
  }
}

void InRoot::append_file(std::string_view path, std::string_view content, mode_t mode) const {
  auto [parent, base] = split_parent(path);
  UniqueFd dir = mkdir_all(parent);
  int fd = ::openat(dir.get(), base.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) throw sys_error("failed to open " + show(path) + " for appending in container root");
  UniqueFd file(fd);
  write_all(file.get(), content, show(path));
}

std::string InRoot::read_file(std::string_view path, size_t max_bytes) const {
  // O_NONBLOCK, then the type: a FIFO swapped in after a caller's own type check must not block the hook (a FIFO
  // nobody writes blocks its reader forever); on a regular file the flag changes nothing.
  UniqueFd fd = open(path, O_RDONLY | O_NONBLOCK);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error("failed to stat " + show(path));
  if (!S_ISREG(st.st_mode)) throw Error("failed to read " + show(path) + ": not a regular file");
  std::string out;
  char buf[8192];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd.get(), buf, std::min(sizeof(buf), max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("failed to read " + show(path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool InRoot::chmod(std::string_view path, mode_t mode) const {
  UniqueFd fd = open(path, O_PATH, Follow::kNoFinal);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error("failed to stat " + show(path));
  if (S_ISLNK(st.st_mode)) return false;
  // fchmodat on the magic link changes the inode the fd holds; it cannot be redirected by a later rename.
  if (::chmod(proc_fd_path(fd.get()).c_str(), mode) != 0) throw sys_error("failed to chmod " + show(path));
  return true;
}

void InRoot::mknod(std::string_view path, mode_t mode, dev_t dev) const {
  auto [parent, base] = split_parent(path);
  UniqueFd dir = mkdir_all(parent);
  if (::mknodat(dir.get(), base.c_str(), mode, dev) != 0) throw sys_error("failed to create device node " + show(path));
}

void InRoot::remove(std::string_view path) const {
  auto [parent, base] = split_parent(path);
  int err = 0;
  UniqueFd dir = try_open(parent, O_PATH | O_DIRECTORY, Follow::kAll, &err);
  if (!dir.valid()) return;
  if (::unlinkat(dir.get(), base.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno == EISDIR && ::unlinkat(dir.get(), base.c_str(), AT_REMOVEDIR) == 0) return;
  throw sys_error("failed to remove " + show(path));
}

std::vector<std::string> InRoot::list_dir(std::string_view path) const {
  return read_dir(open(path, O_RDONLY | O_DIRECTORY), path);
}

std::optional<std::vector<std::string>> InRoot::try_list_dir(std::string_view path) const {
  int err = 0;
  UniqueFd fd = try_open(path, O_RDONLY | O_DIRECTORY, Follow::kAll, &err);
  if (!fd.valid()) return std::nullopt;
  return read_dir(std::move(fd), path);
}

bool for_each_entry(int dir_fd, const std::function<void(std::string_view name, unsigned char type)>& each) {
  // getdents64 on the fd itself: fdopendir would first dup it, fstat and fcntl it twice and allocate a 32 KiB
  // buffer, and a hook lists a few folders per container start. The offset moves; *at calls on the fd do not care.
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return false;
  alignas(struct dirent64) char buf[8192];
  for (;;) {
    const ssize_t n = ::getdents64(dir_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    for (size_t off = 0; off < static_cast<size_t>(n);) {
      const auto* e = reinterpret_cast<const struct dirent64*>(buf + off);
      off += e->d_reclen;
      const std::string_view name(e->d_name);
      if (name != "." && name != "..") each(name, e->d_type);
    }
  }
}

std::optional<std::vector<std::string>> list_open_dir(int dir_fd) {
  std::vector<std::string> names;
  if (!for_each_entry(dir_fd, [&](std::string_view name, unsigned char) { names.emplace_back(name); }))
    return std::nullopt;
  return names;
}

std::vector<std::string> InRoot::read_dir(UniqueFd fd, std::string_view path) const {
  auto names = list_open_dir(fd.get());
  if (!names) throw sys_error("failed to list " + show(path));
  return *names;
}

bool InRoot::is_host_root() const {
  struct stat opened {
  }, host{};
  return ::fstat(root_.get(), &opened) == 0 && ::stat("/", &host) == 0 && opened.st_dev == host.st_dev &&
         opened.st_ino == host.st_ino;
}

}  // namespace gpuhooks::rootfs
