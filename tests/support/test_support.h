#pragma once
// Small pieces every test needs: a scratch directory removed at the end, file helpers for building fixtures,
// and running a program to collect its exit code and output.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace gpuhooks::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& content);  // creates parent dirs
std::string read_file(const std::filesystem::path& p);
std::string read_to_end(int fd);  // what a pipe gives until its writers close it

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs argv[0] (a path) with argv, `env` as the whole environment, `input` on stdin; waits for it.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "",
              const std::vector<std::string>& env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});

// argv run under coreutils' timeout: TERM after `seconds`, KILL 5 s later; a hung runtime fails its test, never the
// suite.
std::vector<std::string> with_timeout(int seconds, std::vector<std::string> argv);

// The message of the gpuhooks::Error that f() throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// From now on, for the calling thread and what it starts: system call `nr` gets `action` (a SECCOMP_RET_ value),
// every other one is allowed (no_new_privs is set with it). seccomp(2)'s answer: a listener descriptor where `flags`
// has SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0; -1 where the filter cannot be installed.
int filter_system_call(long nr, uint32_t action, unsigned flags = 0);

// From now on, for this process and what it starts: mount_setattr(2) answers ENOSYS, as on Linux 5.6 to 5.11
// (Debian 11's 5.10), which have open_tree and move_mount but not mount_setattr. A seccomp filter (no_new_privs is
// set with it); every other system call is allowed. False when the filter cannot be installed.
bool deny_mount_setattr();

// fn() in a forked child inside a private mount namespace, so that the mounts it makes vanish with it; what it returns
// (or "error: <what>" for an exception) comes back through a pipe.
std::string in_private_mount_namespace(const std::function<std::string()>& fn);

// Whether process `pid` is gone or a zombie (a killed child of an exited death-test process, waiting for init to
// reap it); dead_soon waits up to 2 s for it.
bool dead(pid_t pid);
bool dead_soon(pid_t pid);

// Path of a built executable of this project (build dir).
std::filesystem::path built(const std::string& name);
// Path of one of the project's executables under test: in $GPUHOOKS_TEST_BIN_DIR when that is set (/usr/bin: the
// installed package, tests/package/test-packages.sh), else the built one. Only the harness paths that the package
// test runs (Docker's --gpus) ask for it.
std::filesystem::path executable(const std::string& name);
std::filesystem::path source_dir();

}  // namespace gpuhooks::test
