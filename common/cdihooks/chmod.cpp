// chmod --mode M --path P...: set the mode of paths in the container (nvidia-hooks.md §1.8; deprecated, disabled by
// default in generated specs). Same validation texts, skips and error rule as the reference.
//
// Difference from the reference, on purpose: the reference stat()s and chmod()s "<root>/<P>" as a host path,
// following symlinks, so an image's /dev/dri -> /etc/shadow gets a host file chmodded. Here the path is resolved in
// the root (symlinks are followed, but re-rooted: an absolute target names a path in the container) and the mode is
// set on the very inode that was resolved (through its fd), so a later swap of the path cannot redirect it. A regular
// file with more than one hard link is refused: another of its names may be outside the container.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/cdihooks/hook.h"

namespace gpuhooks::cdihook {
namespace {

constexpr mode_t kModeBits = S_IRWXU | S_IRWXG | S_IRWXO | S_ISUID | S_ISGID | S_ISVTX;

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// Go's strconv.ParseUint(s, 8, 32): octal digits only, at least one, fitting in 32 bits.
std::optional<mode_t> parse_octal(const std::string& s) {
  if (s.empty() || s.size() > 11) return std::nullopt;
  unsigned long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  if (v > 0xffffffffULL) return std::nullopt;
  return static_cast<mode_t>(v);
}

class Chmod : public Hook {
 public:
  std::string name() const override { return "chmod"; }
  std::string description() const override { return "Set the permissions of folders in the container"; }
  void add_options(CLI::App& app) override {
    app.add_option("--path", paths_, "Path to set permissions for (repeatable, comma-separated)")->delimiter(',');
    app.add_option("--mode", mode_text_, "File mode, in octal");
  }
  void validate() override {
    if (blank(mode_text_)) throw Error("a non-empty mode must be specified");
    auto mode = parse_octal(mode_text_);
    if (!mode) throw Error("failed to parse mode as octal: " + mode_text_);
    mode_ = *mode;
    for (const auto& p : paths_)
      if (blank(p)) throw Error("paths must not be empty");
  }
  void run(Container& container) override {
    const auto root_path = container.root();
    if (root_path.empty()) throw Error("empty container root detected");
    rootfs::InRoot root(root_path);
    std::optional<Error> last;
    for (const auto& p : paths_) {
      try {
        chmod_one(root, p);
      } catch (const Error& e) {
        last = e;  // the reference keeps going and reports the last error only
      }
    }
    if (last) throw *last;
  }

 private:
  void chmod_one(const rootfs::InRoot& root, const std::string& path) const {
    int err = 0;
    UniqueFd fd = root.try_open(path, O_PATH, rootfs::Follow::kAll, &err);
    if (!fd.valid()) {
      if (err == ENOENT) {
        spdlog::debug("Skipping {}: it does not exist in the container", path);
        return;
      }
      throw sys_error(
          "failed to open " + rootfs::printable(path) + " in container root " + rootfs::printable(root.host_path()),
          err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw sys_error("failed to stat " + path);
    if ((st.st_mode & kModeBits) == mode_) {
      spdlog::debug("Skipping {}: mode is already {:o}", path, mode_);
      return;
    }
    // A hard link is the same inode under another name: a file the image (or a careless caller) linked to a host
    // inode on the same filesystem would have the host file's mode changed, and nothing in the path shows it. The
    // paths chmod is for are directories and device nodes; a regular file with a second name is refused.
    if (S_ISREG(st.st_mode) && st.st_nlink > 1)
      throw Error("refusing to chmod " + rootfs::printable(path) + " in container root " +
                  rootfs::printable(root.host_path()) + ": a regular file with " + std::to_string(st.st_nlink) +
                  " hard links (another name may be a host file)");
    // chmod on the fd's magic link changes the inode the fd holds (O_PATH fds cannot be fchmod()ed).
    if (::chmod(rootfs::InRoot::proc_fd_path(fd.get()).c_str(), mode_) != 0) {
      if (errno == EPERM || errno == EACCES) {
        spdlog::debug("Ignoring permission error for {}: {}", path, std::strerror(errno));
        return;
      }
      throw sys_error("failed to chmod " + rootfs::printable(path) + " in container root " +
                      rootfs::printable(root.host_path()));
    }
  }

  std::vector<std::string> paths_;
  std::string mode_text_;
  mode_t mode_ = 0;
};

}  // namespace

std::unique_ptr<Hook> make_chmod() { return std::make_unique<Chmod>(); }

}  // namespace gpuhooks::cdihook
