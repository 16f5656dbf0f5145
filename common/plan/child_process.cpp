#include "common/plan/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits for `pid` until the deadline; kills its process group past it. Returns the wait status, or -1 on timeout.
int wait_until(pid_t pid, Clock::time_point deadline) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return status;
    int left = ms_left(deadline);
    if (left == 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    if (pidfd.valid()) {
      struct pollfd p {
        pidfd.get(), POLLIN, 0
      };
      ::poll(&p, 1, left);
    } else {
      ::usleep(1000);
    }
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
  return "ended";
}

// Reads what the child wrote to its error pipe, until EOF or the deadline (bounded: an error is one line).
std::string read_error(int fd, Clock::time_point deadline) {
  std::string text;
  char buf[4096];
  while (text.size() < 4096) {
    struct pollfd p {
      fd, POLLIN, 0
    };
    if (::poll(&p, 1, ms_left(deadline)) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text.substr(0, 4096);
}

std::string timeout_text(const std::string& what, Clock::time_point start, Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start).count();
  return what + " took longer than " + std::to_string(ms) + " ms; it was killed";
}

}  // namespace

void run_in_child(const std::string& what, const std::function<void()>& body, Clock::time_point deadline) {
  const auto start = Clock::now();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw sys_error("cannot create a pipe for " + what);
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("cannot fork for " + what);
  if (pid == 0) {
    rd.reset();
    ::setpgid(0, 0);
    try {
      body();
      ::_exit(0);
    } catch (const std::exception& e) {
      std::string msg = e.what();
      (void)!::write(wr.get(), msg.data(), std::min<size_t>(msg.size(), 4096));
    }
    ::_exit(1);
  }
  wr.reset();
  std::string error = read_error(rd.get(), deadline);
  int status = wait_until(pid, deadline);
  if (status == -1) throw Error(timeout_text(what, start, deadline));
  if (!error.empty()) throw Error(error);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error(what + ": the child " + describe_status(status));
}

void run_hook(const Hook& hook, const std::string& state_json, Clock::time_point deadline) {
  const auto start = Clock::now();
  ::signal(SIGPIPE, SIG_IGN);  // a hook that exits without reading its stdin must not kill us with our write
  if (hook.timeout && *hook.timeout > 0) deadline = std::min(deadline, start + std::chrono::seconds(*hook.timeout));
  std::vector<const char*> argv, envp;
  for (const auto& a : hook.args) argv.push_back(a.c_str());
  if (argv.empty()) argv.push_back(hook.path.c_str());
  argv.push_back(nullptr);
  for (const auto& e : hook.env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw sys_error("cannot create a pipe for hook " + hook.path);
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("cannot fork for hook " + hook.path);
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::dup2(rd.get(), STDIN_FILENO) < 0) ::_exit(127);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);  // a hook's stdout is not ours to print
    ::syscall(SYS_close_range, 3, ~0U, 0);
    ::execve(hook.path.c_str(), const_cast<char* const*>(argv.data()), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  rd.reset();
  // The state is small (a pipe holds 64 KiB); a hook that never reads it still gets EOF when it exits.
  size_t off = 0;
  while (off < state_json.size()) {
    ssize_t n = ::write(wr.get(), state_json.data() + off, state_json.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  wr.reset();
  int status = wait_until(pid, deadline);
  std::string name = "hook " + hook.path + (hook.args.size() > 1 ? " " + hook.args[1] : "");
  if (status == -1) throw Error(timeout_text(name, start, deadline));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error(name + " " + describe_status(status));
}

}  // namespace gpuhooks::plan
