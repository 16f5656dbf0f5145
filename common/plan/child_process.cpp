#include "common/plan/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/log/log.h"
#include "common/rootfs/hook_deadline.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/sealed_exec.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

struct Waited {
  bool timed_out = false;
  int status = 0;
};

// Waits for `pid` until the deadline; past it kills the process group `group` (every process of ours under it) and
// the process. A child that cannot be waited for (a caller left SIGCHLD ignored) is an Error, never a success.
Waited wait_until(pid_t pid, pid_t group, Clock::time_point deadline, const std::string& what) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return {false, status};
    if (r < 0 && errno != EINTR) throw sys_error("cannot wait for " + what);
    int left = ms_left(deadline);
    if (left == 0) {
      if (group > 0) ::kill(-group, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {true, status};
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
  log::flush();  // the child's copy of held log lines must not come out twice
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("cannot fork for " + what);
  if (pid == 0) {
    rd.reset();
    // Its own group, which the deadline kills whole (the hooks it runs stay in it); and it dies with us: a runtime
    // that kills the prestart hook must not leave it changing the container.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
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
  ::setpgid(pid, pid);  // as the child does: the group exists before either can be killed through it
  rootfs::HookChild group_killed_at_the_hooks_deadline(-pid);
  std::string error = read_error(rd.get(), deadline);
  Waited w = wait_until(pid, pid, deadline, what);
  if (w.timed_out) throw Error(timeout_text(what, start, deadline));
  if (!error.empty()) throw Error(error);
  if (!WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0)
    throw Error(what + ": the child " + describe_status(w.status));
}

void run_hook(const Hook& hook, const std::string& state_json, Clock::time_point deadline) {
  const auto start = Clock::now();
  // The hook's own timeout, and a second less than ours: its deadline must pass first, so that a hook that hangs
  // is reported as such and our undo still runs.
  deadline -= std::chrono::seconds(1);
  if (hook.timeout && *hook.timeout > 0) deadline = std::min(deadline, start + std::chrono::seconds(*hook.timeout));
  std::vector<const char*> argv, envp;
  for (const auto& a : hook.args) argv.push_back(a.c_str());
  if (argv.empty()) argv.push_back(hook.path.c_str());
  argv.push_back(nullptr);
  for (const auto& e : hook.env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  // The state as a file, not a pipe: writing it can never block on a hook that does not read (the state carries
  // the container's annotations, which users set, so it is not always small).
  UniqueFd state(::memfd_create("oci-state", MFD_CLOEXEC));
  if (!state.valid()) throw sys_error("cannot create the state file for hook " + hook.path);
  rootfs::write_all(state.get(), state_json, "the state for hook " + hook.path);
  if (::lseek(state.get(), 0, SEEK_SET) != 0) throw sys_error("cannot rewind the state for hook " + hook.path);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("cannot fork for hook " + hook.path);
  if (pid == 0) {
    // In our process group (the deadline kills it with us), dying with us, with default signal handling.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(state.get(), STDIN_FILENO) < 0) ::_exit(127);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);  // a hook's stdout is not ours to print
    try {
      rootfs::mark_all_close_on_exec();
    } catch (const std::exception&) {
      ::_exit(127);
    }
    ::execve(hook.path.c_str(), const_cast<char* const*>(argv.data()), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  state.reset();
  rootfs::HookChild killed_at_the_hooks_deadline(pid);
  std::string name = "hook " + hook.path + (hook.args.size() > 1 ? " " + hook.args[1] : "");
  Waited w = wait_until(pid, 0, deadline, name);
  if (w.timed_out) throw Error(timeout_text(name, start, deadline));
  if (!WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0) throw Error(name + " " + describe_status(w.status));
}

}  // namespace gpuhooks::plan
