#include "common/plan/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/log/log.h"
#include "common/rootfs/hook_deadline.h"
#include "common/rootfs/in_root.h"
#include "common/rootfs/sealed_exec.h"
#include "common/sanitizer.h"
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

// Waits for `pid` until the deadline; past it kills the process. A child that cannot be waited for (a caller left
// SIGCHLD ignored) is an Error, never a success.
Waited wait_until(pid_t pid, Clock::time_point deadline, const std::string& what) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return {false, status};
    if (r < 0 && errno != EINTR) throw sys_error("cannot wait for " + what);
    int left = ms_left(deadline);
    if (left == 0) {
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

std::string timeout_text(const std::string& what, Clock::time_point start, Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start).count();
  return what + " took longer than " + std::to_string(ms) + " ms; it was killed";
}

// What the child hands back, in memory it shares with us whether it was cloned with our memory or forked: its
// error text, and whether its deadline passed.
struct ChildShared {
  volatile sig_atomic_t deadline_passed;
  size_t error_size;
  char error[4096];
};

class SharedPage {
 public:
  SharedPage() {
    void* p = ::mmap(nullptr, sizeof(ChildShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw sys_error("cannot map the page a child reports in");
    page_ = static_cast<ChildShared*>(p);
  }
  ~SharedPage() { ::munmap(page_, sizeof(ChildShared)); }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  ChildShared* get() const { return page_; }

 private:
  ChildShared* page_;
};

ChildShared* g_shared = nullptr;  // the running child's page, for its deadline handler

struct ChildArgs {
  const std::function<void()>* body;
  ChildShared* shared;
  pid_t parent;
  Clock::time_point deadline;
  sigset_t mask;  // the parent's signal mask, SIGALRM unblocked
};

// At the child's deadline: the hook's deadline line (the step is the caller's), the children the child registered
// killed, its temporary files removed; the parent then exits 1.
extern "C" void on_apply_child_deadline(int) {
  if (g_shared != nullptr) g_shared->deadline_passed = 1;
  rootfs::report_hook_deadline();
  ::_exit(1);
}

// The time to `when`, at least 1 us: a timer of zero would be disarmed, never fired.
std::chrono::microseconds time_to(Clock::time_point when) {
  return std::max(std::chrono::duration_cast<std::chrono::microseconds>(when - Clock::now()),
                  std::chrono::microseconds(1));
}

// A POSIX timer that sends this process SIGKILL at `when` (any process: SIGKILL needs no handler, and ends a wait
// that only a fatal signal ends). Its id; Error naming `what` when it cannot be set.
int sigkill_at(Clock::time_point when, const char* what) {
  struct sigevent ev {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGKILL;
  int timer = -1;
  if (::syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer) != 0)
    throw sys_error(std::string("cannot set ") + what);
  const auto left = time_to(when);
  struct itimerspec at {};
  at.it_value.tv_sec = static_cast<time_t>(left.count() / 1000000);
  at.it_value.tv_nsec = static_cast<long>(left.count() % 1000000 * 1000);
  if (::syscall(SYS_timer_settime, timer, 0, &at, nullptr) != 0) {
    ::syscall(SYS_timer_delete, timer);
    throw sys_error(std::string("cannot set ") + what);
  }
  return timer;
}

// The child's timers: SIGALRM at the deadline, and a SIGKILL 100 ms later for a child that no handler can reach
// (a wait that only a fatal signal ends, as a vfork parent's). Both end with the child.
void arm_child_deadline(Clock::time_point deadline) {
  rootfs::arm_alarm(on_apply_child_deadline, time_to(deadline), "the child's deadline");
  sigkill_at(deadline + std::chrono::milliseconds(100), "the child's timer");
}

int child_main(void* p) {
  const auto* a = static_cast<const ChildArgs*>(p);
  // Its own group, which is killed whole past the deadline (the hooks it runs stay in it); and it dies with us: a
  // runtime that kills the prestart hook must not leave it changing the container.
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != a->parent) ::_exit(1);
  try {
    arm_child_deadline(a->deadline);
    ::sigprocmask(SIG_SETMASK, &a->mask, nullptr);
    (*a->body)();
    ::_exit(0);
  } catch (const std::exception& e) {
    const size_t n = std::min(std::strlen(e.what()), sizeof a->shared->error);
    std::memcpy(a->shared->error, e.what(), n);
    a->shared->error_size = n;
  } catch (...) {
    static const char kUnknown[] = "the child failed with an exception that is not an error";
    std::memcpy(a->shared->error, kUnknown, sizeof kUnknown - 1);
    a->shared->error_size = sizeof kUnknown - 1;
  }
  ::_exit(1);
}

// The stack of a child that shares our memory, with a guard page below it. Unmapped only once the child and everything
// it started are gone: a vfork grandchild may still run on it.
class ChildStack {
 public:
  static constexpr size_t kSize = 8 << 20, kGuard = 64 << 10;
  ChildStack() {
    void* p =
        ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) throw sys_error("cannot map a stack for the child");
    base_ = static_cast<char*>(p);
    if (::mprotect(base_, kGuard, PROT_NONE) != 0) {
      ::munmap(base_, kSize);
      throw sys_error("cannot guard the child's stack");
    }
  }
  ~ChildStack() { ::munmap(base_, kSize); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  char* top() const { return base_ + kSize; }

 private:
  char* base_;
};

// The child shares our memory and we sleep until it has ended (CLONE_VM | CLONE_VFORK): no page tables copied, no
// copy-on-write faults in it, nothing to tear down when it exits (measured: 0.6 ms of a legacy start, a tenth of
// the hook). Under AddressSanitizer, which cannot follow a stack it did not make, a fork with the same rules.
pid_t start_child(ChildArgs& args, [[maybe_unused]] const ChildStack& stack) {
#if GPUHOOKS_ASAN
  log::flush();  // the child's copy of held log lines must not come out twice
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(child_main(&args));
  return pid;
#else
  return ::clone(child_main, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
#endif
}

// A SIGKILL for this process at `when`: the one bound left while we sleep in the kernel's vfork wait, for a child
// that no signal can end (an uninterruptible sleep in a hung filesystem). Deleted when the child has ended in time.
class SelfKillTimer {
 public:
  explicit SelfKillTimer(Clock::time_point when) : timer_(sigkill_at(when, "the hook's timer")) {}
  ~SelfKillTimer() { ::syscall(SYS_timer_delete, timer_); }
  SelfKillTimer(const SelfKillTimer&) = delete;
  SelfKillTimer& operator=(const SelfKillTimer&) = delete;

 private:
  int timer_;
};

// After a child that shared our memory was killed: its group killed too, one line, exit 1, with nothing of the heap
// used again (the child may have been stopped half way through changing it).
[[noreturn]] void exit_after_killed_child(pid_t pid, bool deadline, bool line_written, const std::string& what,
                                          int signal) {
  ::kill(-pid, SIGKILL);
  if (deadline) {
    if (!line_written) rootfs::report_hook_deadline(/*remove_temp_files=*/false);  // its fds are not ours
  } else {
    char line[512];
    const char* abbrev = ::sigabbrev_np(signal);
    std::snprintf(line, sizeof line, "%.300s: the child was killed by signal %d (SIG%s)", what.c_str(), signal,
                  abbrev != nullptr ? abbrev : "?");
    rootfs::report_hook_error(line);
  }
  ::_exit(1);
}

}  // namespace

void run_in_child(const std::string& what, const std::function<void()>& body, Clock::time_point deadline) {
  rootfs::HookStep step(what);  // what the deadline's line names; set here, as the child never ends a scope
  SharedPage shared;
  ChildStack stack;
  siginfo_t info{};
  {
    const Clock::time_point hook = rootfs::hook_deadline();
    SelfKillTimer last_resort((hook == Clock::time_point::max() ? deadline : std::max(deadline, hook)) +
                              std::chrono::seconds(1));
    // Our own deadline waits until the child has ended: while it runs, its timers are the deadline.
    sigset_t alarm, old;
    ::sigemptyset(&alarm);
    ::sigaddset(&alarm, SIGALRM);
    ::sigprocmask(SIG_BLOCK, &alarm, &old);
    ChildArgs args{&body, shared.get(), ::getpid(), deadline, old};
    ::sigdelset(&args.mask, SIGALRM);
    g_shared = shared.get();
    const pid_t pid = start_child(args, stack);
    if (pid < 0) {
      g_shared = nullptr;
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      throw sys_error("cannot start a child for " + what);
    }
    // Not reaped yet (WNOWAIT): its pid, and so its group, cannot be anyone else's while we decide.
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    g_shared = nullptr;
    const bool killed = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
    const bool deadline_passed =
        shared.get()->deadline_passed || (killed && info.si_status == SIGKILL && Clock::now() >= deadline);
    if (deadline_passed || killed)
      exit_after_killed_child(pid, deadline_passed, shared.get()->deadline_passed, what, info.si_status);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
  }
  if (shared.get()->error_size > 0) throw Error(std::string(shared.get()->error, shared.get()->error_size));
  if (info.si_status != 0) throw Error(what + ": the child exited with status " + std::to_string(info.si_status));
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
  Waited w = wait_until(pid, deadline, name);
  if (w.timed_out) throw Error(timeout_text(name, start, deadline));
  if (!WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0) throw Error(name + " " + describe_status(w.status));
}

}  // namespace gpuhooks::plan
