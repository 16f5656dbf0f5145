#pragma once
// One deadline for a whole hook run. A hook that blocks blocks the container start, and runtimes do not kill it
// (runc ignored SIGTERM for over ten minutes): whatever it waits on (a runtime that never closes stdin, a FIFO an
// image planted, a stalled child, NVML in a wedged driver), the hook must give up in a bound the user sets.
//
// Once armed, a timer (SIGALRM) fires at the deadline, whatever the hook is doing, and its handler, with
// async-signal-safe calls only: SIGKILLs every child registered with HookChild (an isolated child is pid 1 of its
// pid namespace, so what it started dies with it), unlinks every temporary file registered with HookTempFile,
// writes one error line to stderr ("<program> error: <step> took longer than N s (NVIDIA_CTK_HOOK_TIMEOUT)...")
// and exits 1. Every file a hook changes is replaced by rename, so what it left is, per file, the old version or
// the new one; the links and drop-ins it had completed stay, and the runtime fails the start. Lines the logger still
// buffered below warning level are lost, and a configured log file does not get the deadline's line.
//
// The deadline is NVIDIA_CTK_HOOK_TIMEOUT (whole seconds, 1 to 3600) from the hook's own environment (a CDI spec's
// hook "env"), else the prestart hook's config key, else 10 s. Children take the time left as their own bound.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

namespace gpuhooks::rootfs {

inline constexpr const char* kHookTimeoutVariable = "NVIDIA_CTK_HOOK_TIMEOUT";
inline constexpr std::chrono::seconds kDefaultHookTimeout{10};
inline constexpr std::chrono::seconds kMaxHookTimeout{3600};

// The timeout `value` asks for (the variable's value, or nullptr: `fallback`); `fallback` with a warning when it is
// not a whole number of seconds from 1 to 3600.
std::chrono::seconds hook_timeout(const char* value, std::chrono::seconds fallback = kDefaultHookTimeout);

// Arms the deadline `timeout` after `since` for this process (again: the new one replaces the old). `program` names
// it in the error line (a string literal). Called from the single thread of a hook, early.
void arm_hook_deadline(std::chrono::milliseconds timeout, const char* program,
                       std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now());

// One SIGALRM to `handler` (every other signal blocked while it runs) `after` from now: the timer under the hook's
// deadline and an isolated child's own. Error naming `what` when it cannot be set.
void arm_alarm(void (*handler)(int), std::chrono::microseconds after, const char* what);

// What the deadline's handler does before it exits 1, for a child that stands in for the hook (async-signal-safe):
// kills the registered children, removes the registered temporary files (unless `remove_temp_files` is false: a
// caller whose fd table is not the one they were registered from), writes the deadline's line to stderr.
void report_hook_deadline(bool remove_temp_files = true) noexcept;

// "<time> <program> error: <message>" on stderr, in the logger's format, without allocating: for a hook that must
// not touch its heap any more.
void report_hook_error(const char* message) noexcept;

// Cancels the timer (tests; a hook simply exits).
void disarm_hook_deadline();

// The time point the hook must be done by; time_point::max() when no deadline is armed.
std::chrono::steady_clock::time_point hook_deadline();

// The timeout the deadline was armed with (zero when none is armed): what messages name.
std::chrono::milliseconds hook_timeout_set();

// What the hook is doing, for the error line ("update-ldcache", "reading the container state on stdin"); the
// previous step comes back when the scope ends.
class HookStep {
 public:
  explicit HookStep(std::string_view what);
  ~HookStep();
  HookStep(const HookStep&) = delete;
  HookStep& operator=(const HookStep&) = delete;

 private:
  std::string previous_;
};

// A child the deadline kills. `target` is what kill(2) takes: a pid, or minus a process group. Registered until the
// scope ends (after the child was reaped). At most 16 at once; more throw Error.
class HookChild {
 public:
  explicit HookChild(pid_t target);
  ~HookChild();
  HookChild(const HookChild&) = delete;
  HookChild& operator=(const HookChild&) = delete;

 private:
  int slot_;
};

// A temporary file `name` in the directory open as `dir_fd` (which must stay open while registered) that the
// deadline removes: registered until the scope ends or release() (once it was renamed into place). At most 16.
class HookTempFile {
 public:
  HookTempFile(int dir_fd, const std::string& name);
  ~HookTempFile();
  void release();
  HookTempFile(const HookTempFile&) = delete;
  HookTempFile& operator=(const HookTempFile&) = delete;

 private:
  int slot_;
};

}  // namespace gpuhooks::rootfs
