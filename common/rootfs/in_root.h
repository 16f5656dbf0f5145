#pragma once
// The one door into a container root. Every path a hook touches inside a container is resolved here, relative to an
// O_PATH fd of the root: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has it, otherwise a
// component-by-component walk that re-roots absolute symlinks and clamps ".." at the root, exactly as the kernel
// would. Nothing here joins the root onto a string and hands that to the kernel, so a hostile image cannot point a
// hook at a host file with a symlink (CVE-2024-0133, CVE-2025-23267 patterns).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"

namespace gpuhooks::rootfs {

enum class Follow { kAll, kNoFinal };  // kNoFinal: a final symlink is opened itself, never followed

class InRoot {
 public:
  // Opens the root directory; throws Error when it is missing or not a directory.
  explicit InRoot(const std::filesystem::path& host_root);

  const std::filesystem::path& host_path() const { return host_root_; }
  int fd() const { return root_.get(); }

  // Resolves `path` (leading "/" optional; always taken inside the root) and opens it with `flags`
  // (O_PATH by default; O_CREAT is not allowed here: use the create operations). Throws Error on failure.
  UniqueFd open(std::string_view path, int flags = O_PATH, Follow follow = Follow::kAll) const;
  // As open(), but returns an invalid fd and sets *err (errno value) instead of throwing.
  UniqueFd try_open(std::string_view path, int flags, Follow follow, int* err) const;

  std::optional<struct stat> lstat(std::string_view path) const;
  std::optional<struct stat> stat(std::string_view path) const;
  std::optional<std::string> readlink(std::string_view path) const;
  bool exists(std::string_view path) const { return lstat(path).has_value(); }
  bool is_regular_file(std::string_view path) const;  // follows symlinks inside the root
  bool is_directory(std::string_view path) const;     // follows symlinks inside the root

  // The path a resolved location has inside the root, symlinks resolved ("/usr/local/cuda/compat" where
  // /usr/local/cuda -> /etc/alternatives/cuda gives "/etc/alternatives/cuda/compat").
  std::string resolve(std::string_view path) const;

  // Creates every missing directory of `path` (mode before umask), returns an O_PATH fd of the last one.
  UniqueFd mkdir_all(std::string_view path, mode_t mode = 0755) const;

  // Creates or atomically replaces LINK with a symlink to TARGET (TARGET is stored verbatim, never resolved); a link
  // that already points at TARGET is left as it is. Parents are created inside the root. Throws when LINK is a
  // directory.
  enum class LinkMade { kUnchanged, kCreated, kReplaced };
  LinkMade symlink(const std::string& target, std::string_view link) const;
  // The same for many (target, link) pairs, in order, each parent directory looked up once: a new link costs one
  // symlinkat. `made` gets one result per link, as each is made, so that after a throw (at the first failure) it
  // still says which were.
  void symlink_all(const std::vector<std::pair<std::string, std::string>>& links, std::vector<LinkMade>& made) const;

  // Writes a whole file atomically (temp file + rename in the same directory), creating parents.
  void write_file(std::string_view path, std::string_view content, mode_t mode) const;
  // Creates a new file (O_EXCL, never through a symlink) and writes it; throws if it exists. The name appears with
  // the whole content where the filesystem has O_TMPFILE; a write that fails leaves no file either way.
  void create_file(std::string_view path, std::string_view content, mode_t mode) const;
  // Appends to a file, creating it with `mode` if missing; never through a final symlink.
  void append_file(std::string_view path, std::string_view content, mode_t mode) const;
  // Reads a whole regular file (at most max_bytes); anything else (a FIFO, a device) is an Error, never a blocking
  // read.
  std::string read_file(std::string_view path, size_t max_bytes = 1 << 20) const;

  // chmod without following a final symlink: a symlink is left alone (returns false), anything else is changed.
  bool chmod(std::string_view path, mode_t mode) const;
  void mknod(std::string_view path, mode_t mode, dev_t dev) const;
  void remove(std::string_view path) const;  // a file, a symlink or an empty directory; missing is fine
  std::vector<std::string> list_dir(std::string_view path) const;
  // The same, nullopt where `path` is missing or not a directory: for the lookups that expect that, because a
  // thrown exception costs a hook process more than its whole directory walk (the unwinder's first throw sorts
  // every frame description of the static binary).
  std::optional<std::vector<std::string>> try_list_dir(std::string_view path) const;

  // "/proc/self/fd/N": the kernel-verified name of an fd, for mount(2) targets and sources.
  static std::string proc_fd_path(int fd);

  // True when the opened root is this process's "/" (by device and inode): the host's root under another name (a
  // symlink to "/", a bind mount of it), which no hook may treat as a container's.
  bool is_host_root() const;

 private:
  std::vector<std::string> read_dir(UniqueFd fd, std::string_view path) const;  // the names, "." and ".." left out
  std::filesystem::path host_root_;
  UniqueFd root_;
};

// Calls `each` with the name and d_type (DT_UNKNOWN where the filesystem gives none) of every entry of a directory
// opened for reading, "." and ".." left out, read from its start on `dir_fd` itself (its offset moves); false when it
// cannot be read.
bool for_each_entry(int dir_fd, const std::function<void(std::string_view name, unsigned char type)>& each);
// The names in a directory opened for reading, as for_each_entry reads them; nullopt when it cannot be read.
std::optional<std::vector<std::string>> list_open_dir(int dir_fd);

// Splits "a/b/c" into the parent part and the last name; "." and ".." as the last name are rejected (Error).
std::pair<std::string, std::string> split_parent(std::string_view path);

// The non-empty components of a path, "." and ".." kept as they are: "/a//b/../c/" -> {"a", "b", "..", "c"}.
std::vector<std::string> path_components(std::string_view path);

// A path (or link target) for a one-line error message: as it is when every byte is printable, else oci::quote()d
// ("/b\nx" -> "\"/b\\nx\""), so a name with a newline or an escape sequence, from an image or a bundle, can never split
// or forge the hook's error line. Printable names stay unquoted: the messages users and tests know keep their shape.
std::string printable(std::string_view path);
inline std::string printable(const std::string& path) { return printable(std::string_view(path)); }
inline std::string printable(const char* path) { return printable(std::string_view(path)); }
inline std::string printable(const std::filesystem::path& path) { return printable(std::string_view(path.native())); }

// Writes all of `content` to `fd` (retrying short writes and EINTR); Error "failed to write <what>" otherwise.
void write_all(int fd, std::string_view content, const std::string& what);

// True when this kernel answers openat2 (cached after the first call); tests can force the fallback walk.
bool openat2_available();
void force_fallback_walk(bool on);
// Tests: create_file as on a filesystem without O_TMPFILE (overlayfs before Linux 6.6): the name comes first.
void force_named_create(bool on);

}  // namespace gpuhooks::rootfs
