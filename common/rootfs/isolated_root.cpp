#include "common/rootfs/isolated_root.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "common/rootfs/hook_deadline.h"
#include "common/rootfs/in_root.h"
#include "common/sanitizer.h"

namespace gpuhooks::rootfs {
namespace {

constexpr unsigned long kNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
// The child borrows the caller's memory (CLONE_VM) and the caller sleeps until the child execs or exits
// (CLONE_VFORK), as posix_spawn does: no page tables are copied, which a plain fork pays for every mapped page.
// On virtual machines where page-table updates trap to the hypervisor that is most of a fork: measured on a
// 2-core VM, clone with the five namespaces took 3-6 ms as a fork of a process with 64 MB mapped and 0.4-0.8 ms
// with CLONE_VM | CLONE_VFORK. Because the memory is shared, the child must not change the caller's objects:
// it only reads what it is handed, and it ends with exec or _exit, never by returning.
[[maybe_unused]] constexpr unsigned long kCloneFlags = kNamespaces | CLONE_VM | CLONE_VFORK | SIGCHLD;
// The child's own stack (the caller's is in use below it): as large as a main thread's default, reserved without
// backing (pages are only touched as the child uses them), with a guard page below so that an overflow (deep
// recursion over an image's ld.so.conf, say) faults instead of writing into whatever mapping lies there.
constexpr size_t kChildStackSize = 8 << 20;
constexpr size_t kGuardSize = 64 << 10;
// The child writes its error while the caller is still suspended: a message larger than the pipe would block it
// forever. Messages are one line naming a path or two; longer ones are cut.
constexpr size_t kMaxMessage = 4096;
// How long before the hook's deadline the child's own passes.
constexpr std::chrono::milliseconds kDeadlineMargin{100};
// What the child writes when its deadline passes before it could exec; the caller words the error.
constexpr char kDeadlineMarker[] =
    "\x01"
    "deadline";
// The child's error pipe, for its SIGALRM handler (the child has its own signal handlers: no CLONE_SIGHAND).
int g_child_error_fd = -1;

// Before exec the caller is suspended (CLONE_VFORK) and cannot time the child: the child times itself with a real
// timer whose handler reports and exits. exec resets the handler to SIG_DFL, and the kernel drops a default-action
// SIGALRM sent to a pid namespace's init, so the timer, still running, is harmless to the exec'd program; from then
// on the caller, resumed, holds the deadline.
extern "C" void on_child_deadline(int) {
  ssize_t ignored = ::write(g_child_error_fd, kDeadlineMarker, sizeof kDeadlineMarker - 1);
  (void)ignored;
  ::_exit(1);
}

void arm_child_deadline(std::chrono::milliseconds timeout, int error_fd) {
  if (timeout.count() <= 0) return;
  g_child_error_fd = error_fd;
  arm_alarm(on_child_deadline, timeout, "the isolated child's deadline");
}

// "2" or "0.25": the timeout as the user set it, in seconds.
std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(ms) / 1000.0);
  return buf;
}

// The message names the bound the user set: the child's own, or the hook's deadline when that cut it short.
Error deadline_error(const std::string& what, std::chrono::milliseconds asked, std::chrono::milliseconds given,
                     const std::filesystem::path& root) {
  const auto bound = given < asked || asked.count() <= 0 ? hook_timeout_set() : asked;
  return Error(what + " took longer than " + seconds_text(bound) + " s in container root " + printable(root) +
               "; killed");
}

void wait_blocking(pid_t pid, int* status) {
  while (::waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) throw sys_error("failed to wait for the isolated child");
  }
}

// Waits for the child until `deadline`; false when it is still running then. A pidfd where the kernel has one
// (5.3): poll wakes the moment the child exits; otherwise short sleeps between non-blocking waits.
bool wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline, int* status) {
  using namespace std::chrono;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (pidfd.valid()) {
      struct pollfd p {
        pidfd.get(), POLLIN, 0
      };
      int n = ::poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw sys_error("failed to wait for the isolated child");
      if (n == 0) return false;
      wait_blocking(pid, status);
      return true;
    }
    pid_t done = ::waitpid(pid, status, WNOHANG);
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) throw sys_error("failed to wait for the isolated child");
    if (done == pid) return true;
    if (left.count() <= 0) return false;
    struct timespec nap {
      0, 2'000'000
    };
    ::nanosleep(&nap, nullptr);
  }
}

// Private first: with a shared "/" (systemd hosts, hooks run from a shell) every mount below would otherwise
// propagate to the caller's namespace.
void make_all_private() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw sys_error("failed to make the mounts of the isolated namespace private");
}

// A fresh procfs of the child's own pid namespace over the root's /proc: the caller's /proc (and the processes it
// shows) stays out of reach. The target is the in-root fd, so a /proc symlink in the image is resolved inside the
// root. A root without /proc gets none: creating the directory would leave it behind (execveat needs no /proc).
void mount_fresh_proc(const InRoot& root) {
  int err = 0;
  UniqueFd proc = root.try_open("/proc", O_PATH | O_DIRECTORY, Follow::kAll, &err);
  if (!proc.valid()) {
    if (err == ENOENT) return;
    throw sys_error("failed to open /proc in container root " + printable(root.host_path()), err);
  }
  if (::mount("proc", InRoot::proc_fd_path(proc.get()).c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw sys_error("failed to mount a fresh proc at /proc in container root " + printable(root.host_path()));
}

// pivot_root needs the new root to be a mount: bind the root (with its proc) onto itself and return an fd of the
// new mount's top, which is what "." must be for the pivot.
UniqueFd bind_root_onto_itself(const InRoot& root) {
  int tree = ::open_tree(root.fd(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree >= 0) {
    UniqueFd top(tree);
    if (::move_mount(top.get(), "", root.fd(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      throw sys_error("failed to bind container root " + printable(root.host_path()) + " onto itself");
    return top;
  }
  if (errno != ENOSYS) throw sys_error("failed to clone the mounts of container root " + printable(root.host_path()));
  // Kernels before 5.2: the old API, then the root reopened by its name (named by the runtime, not by the image).
  const std::string fd_path = InRoot::proc_fd_path(root.fd());
  if (::mount(fd_path.c_str(), fd_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    throw sys_error("failed to bind container root " + printable(root.host_path()) + " onto itself");
  UniqueFd top(::open(root.host_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) throw sys_error("failed to reopen container root " + printable(root.host_path()));
  return top;
}

// runc's pivotRoot: the old root ends up stacked on ".", and is detached from there.
bool pivot_into(int top_fd, const std::string& host_root) {
  if (::fchdir(top_fd) != 0) throw sys_error("failed to enter container root " + host_root);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    if (errno == EINVAL) return false;  // e.g. the current root is initramfs ("rootfs"), which cannot be pivoted
    throw sys_error("failed to pivot_root into container root " + host_root);
  }
  if (::umount2(".", MNT_DETACH) != 0) throw sys_error("failed to detach the old root after pivot_root");
  if (::chdir("/") != 0) throw sys_error("failed to change to / in container root " + host_root);
  return true;
}

// runc's msMoveRoot, for roots that cannot be pivoted. The caller's root stays mounted below, but it is not
// reachable by path after the chroot, and the only procfs reachable shows the child's own pid namespace.
void move_into(int top_fd, const std::string& host_root) {
  if (::fchdir(top_fd) != 0) throw sys_error("failed to enter container root " + host_root);
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0)
    throw sys_error("failed to move container root " + host_root + " to /");
  if (::chroot(".") != 0) throw sys_error("failed to chroot into container root " + host_root);
  if (::chdir("/") != 0) throw sys_error("failed to change to / in container root " + host_root);
}

void write_message(int fd, const std::string& text) {
  const std::string message = text.size() <= kMaxMessage ? text : text.substr(0, kMaxMessage - 3) + "...";
  size_t off = 0;
  while (off < message.size()) {
    ssize_t n = ::write(fd, message.data() + off, message.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void child_main(const std::filesystem::path& host_root, const std::function<void()>& body,
                             const IsolationOptions& options, int error_fd) {
  try {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the hook
    arm_child_deadline(options.timeout, error_fd);
    make_all_private();
    InRoot root(host_root);
    mount_fresh_proc(root);
    UniqueFd top = bind_root_onto_itself(root);
    if (options.no_pivot || !pivot_into(top.get(), printable(host_root))) move_into(top.get(), printable(host_root));
    body();
    ::_exit(0);
  } catch (const std::exception& e) {
    write_message(error_fd, e.what());
  } catch (...) {
    write_message(error_fd, "unknown error in the isolated child");
  }
  ::_exit(1);
}

std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct ChildArgs {
  const std::filesystem::path& host_root;
  const std::function<void()>& body;
  const IsolationOptions& options;
  int error_fd;
};

int child_entry(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  child_main(a->host_root, a->body, a->options, a->error_fd);
}

class ChildStack {
 public:
  ChildStack() {
    base_ = ::mmap(nullptr, kGuardSize + kChildStackSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) throw sys_error("failed to allocate a stack for the isolated child");
    if (::mprotect(base_, kGuardSize, PROT_NONE) != 0) {
      int err = errno;
      ::munmap(base_, kGuardSize + kChildStackSize);
      throw sys_error("failed to protect the guard page of the isolated child's stack", err);
    }
  }
  ~ChildStack() { ::munmap(base_, kGuardSize + kChildStackSize); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  // Stacks grow down on our targets: the guard is at the bottom, the child starts at the top.
  void* top() const { return static_cast<char*>(base_) + kGuardSize + kChildStackSize; }

 private:
  void* base_;
};

}  // namespace

void run_isolated_in_root(const std::filesystem::path& host_root, const std::string& what,
                          const std::function<void()>& body, const IsolationOptions& options) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw sys_error("failed to create a pipe for the isolated child");
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  // One clone with the namespace flags: the child is pid 1 of its own pid namespace, so the procfs it mounts is its
  // own. No re-exec. The child leaves read_end alone (it is the caller's object; O_CLOEXEC closes the child's copy).
  ChildStack stack;
  // The hook's own deadline bounds the child too, a little before it passes, so that the child's error (which names
  // the root) is the one the user reads.
  IsolationOptions bounded = options;
  const auto now = std::chrono::steady_clock::now();
  if (hook_deadline() != std::chrono::steady_clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(hook_deadline() - now) - kDeadlineMargin;
    left = std::max(left, std::chrono::milliseconds(1));
    if (bounded.timeout.count() <= 0 || left < bounded.timeout) bounded.timeout = left;
  }
  ChildArgs args{host_root, body, bounded, write_end.get()};
  const auto deadline = now + bounded.timeout;
#if GPUHOOKS_ASAN
  // Under AddressSanitizer a child running on its own stack in the caller's memory reads as stack misuse (ASan
  // says so: "False positive error reports may follow"): a fork-like clone instead, slower and otherwise the same.
  long forked = ::syscall(SYS_clone, kNamespaces | SIGCHLD, 0, 0, 0, 0);
  if (forked == 0) ::_exit(child_entry(&args));
  int pid = static_cast<int>(forked);
#else
  int pid = ::clone(child_entry, stack.top(), static_cast<int>(kCloneFlags), &args);
#endif
  if (pid < 0) throw sys_error("failed to start a child in new mount/pid/ipc/uts/net namespaces");
  HookChild killed_at_the_hooks_deadline(static_cast<pid_t>(pid));
  // Here the child has exec'd or exited: its end of the pipe is closed (close-on-exec), so this read ends at once.
  write_end.reset();
  std::string message = read_all(read_end.get());
  int status = 0;
  if (bounded.timeout.count() <= 0) {
    wait_blocking(static_cast<pid_t>(pid), &status);
  } else if (!wait_until(static_cast<pid_t>(pid), deadline, &status)) {
    // SIGKILL reaches a pid namespace's init from its parent namespace, and takes every process in it along.
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    wait_blocking(static_cast<pid_t>(pid), &status);
    throw deadline_error(what, options.timeout, bounded.timeout, host_root);
  }
  if (message == kDeadlineMarker) throw deadline_error(what, options.timeout, bounded.timeout, host_root);
  if (!message.empty()) throw Error(message);
  if (WIFSIGNALED(status)) throw Error(what + " was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw Error(what + " exited with status " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace gpuhooks::rootfs
