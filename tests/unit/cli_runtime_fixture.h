#pragma once
// What the `gpuhooks runtime configure` tests share: running the built CLI, and the file properties a rewrite must
// keep (content untouched on error, mode and owner) and a directory that even root cannot write.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/config/toml_include.h"  // toml++, with a fix for its undefined behaviour
#include "support/test_support.h"

namespace gpuhooks::test {

inline RunResult runtime_configure(const std::vector<std::string>& args) {
  std::vector<std::string> argv{built("gpuhooks").string(), "runtime", "configure"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// The stderr lines of a run, without spdlog's timestamp prefix ("... gpuhooks warning: x" -> "warning: x").
inline std::vector<std::string> messages(const std::string& err) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    if (size_t at = line.find(" gpuhooks "); at != std::string::npos) line = line.substr(at + 10);
    out.push_back(line);
    start = end + 1;
  }
  return out;
}

inline struct stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) ADD_FAILURE() << "stat " << p << ": " << std::strerror(errno);
  return st;
}

// `dir` bind-mounted read-only onto itself while this lives: writes fail with EROFS even for root, who ignores
// mode bits. Needs CAP_SYS_ADMIN; ok() is false (with the reason) without it.
class ReadOnlyDir {
 public:
  explicit ReadOnlyDir(const std::filesystem::path& dir) : dir_(dir) {
    if (::mount(dir_.c_str(), dir_.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      error_ = std::strerror(errno);
      return;
    }
    mounted_ = true;
    if (::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
      error_ = std::strerror(errno);
  }
  ~ReadOnlyDir() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  ReadOnlyDir(const ReadOnlyDir&) = delete;
  ReadOnlyDir& operator=(const ReadOnlyDir&) = delete;
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

// containerd and CRI-O: a main TOML file and a drop-in in a temporary directory, and the command run on them.
class TomlRuntimeTest : public ::testing::Test {
 protected:
  TomlRuntimeTest(std::string runtime, const std::string& main_name, const std::string& drop_in_name)
      : runtime_(std::move(runtime)), main_(dir_ / main_name), drop_in_(dir_ / drop_in_name) {}
  RunResult configure(std::vector<std::string> args) {
    args.insert(args.begin(), {"--runtime", runtime_, "--config", main_.string()});
    return runtime_configure(args);
  }
  RunResult configure_drop_in(std::vector<std::string> args) {
    args.insert(args.begin(), {"--drop-in-config", drop_in_.string()});
    return configure(args);
  }
  static toml::table parse(const std::filesystem::path& p) { return toml::parse(read_file(p), p.string()); }
  std::string runtime_;
  TempDir dir_;
  std::filesystem::path main_, drop_in_;
};

}  // namespace gpuhooks::test
