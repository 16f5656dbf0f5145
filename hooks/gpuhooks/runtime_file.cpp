#include "runtime_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>

#include "atomic_file.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace gpuhooks::cli {
namespace {

constexpr size_t kMaxConfigBytes = 16 << 20;  // engine configs are a few KiB

// The file a rename must replace: a symlinked config (kept elsewhere by config management) is rewritten where it
// lives, and the link stays.
std::string write_target(const std::string& path) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    fs::path real = fs::weakly_canonical(path, ec);
    if (!ec) return real.string();
  }
  return path;
}

// Creates `dir` and its missing parents, recording each one made (outermost first).
void make_parents(const fs::path& dir, std::vector<fs::path>& made) {
  std::error_code ec;
  if (dir.empty() || fs::exists(dir, ec)) return;
  make_parents(dir.parent_path(), made);
  if (!fs::create_directory(dir, ec) && ec)
    throw Error("cannot create directory " + dir.string() + ": " + ec.message());
  made.push_back(dir);
}

}  // namespace

std::optional<std::string> read_config_text(const std::string& path) {
  // O_NONBLOCK: open() of a FIFO must not wait for a writer; fstat then refuses it.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::nullopt;
    throw sys_error("cannot read " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error("cannot stat " + path);
  if (!S_ISREG(st.st_mode)) throw Error("cannot read " + path + ": not a regular file");
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      throw Error("cannot read " + path + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
  }
  return text;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

size_t line_at(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

size_t apply_changes(const std::vector<FileChange>& changes, bool dry_run) {
  for (const FileChange& c : changes) {
    if (c.lost_comments) spdlog::warn("{}: its comments are not kept (toml++ writes TOML without comments)", c.path);
  }
  if (dry_run) {
    // Several files: each under a `# path` line (a TOML comment; only TOML engines write more than one file).
    for (const FileChange& c : changes) std::cout << (changes.size() > 1 ? "# " + c.path + "\n" : "") << c.content;
    std::cout.flush();
    return 0;
  }
  // Everything staged before anything is renamed: a file that cannot be written leaves every file as it was, and
  // the directories made for it are removed again.
  std::vector<fs::path> made_dirs;
  std::vector<StagedFile> staged;
  std::vector<std::string> written;
  try {
    for (const FileChange& c : changes) {
      if (read_config_text(c.path) == c.content) {
        spdlog::info("{} is already configured", c.path);
        continue;
      }
      make_parents(fs::path(c.path).parent_path(), made_dirs);
      staged.emplace_back(write_target(c.path), c.content);
      written.push_back(c.path);
    }
  } catch (...) {
    staged.clear();
    std::error_code ec;
    for (auto d = made_dirs.rbegin(); d != made_dirs.rend(); ++d) fs::remove(*d, ec);
    throw;
  }
  for (size_t i = 0; i < staged.size(); ++i) {
    staged[i].commit();
    spdlog::info("wrote {}", written[i]);
  }
  return staged.size();
}

}  // namespace gpuhooks::cli
