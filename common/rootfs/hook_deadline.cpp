#include "common/rootfs/hook_deadline.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::rootfs {
namespace {

using Clock = std::chrono::steady_clock;

// Everything the handler reads is a fixed-size global written before it can matter: no allocation, no lock.
constexpr int kSlots = 16;
constexpr size_t kMaxName = 256;
std::atomic<pid_t> g_children[kSlots];  // 0: free
struct TempSlot {
  std::atomic<int> dir{-1};  // -1: free
  char name[kMaxName];
};
TempSlot g_temps[kSlots];
char g_step[kMaxName];
std::atomic<bool> g_step_changing{false};
const char* g_program = "hook";
long long g_timeout_ms = 0;
std::atomic<Clock::rep> g_deadline{Clock::time_point::max().time_since_epoch().count()};

// A bounded string builder for the handler (snprintf is not async-signal-safe).
struct Line {
  char text[768];
  size_t size = 0;
  void add(const char* s) {
    while (*s != '\0' && size < sizeof text - 1) text[size++] = *s++;
  }
  void add_number(long long n, int width = 1) {
    char digits[24];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n > 0 && count < 20);
    while (count < width && count < 20) digits[count++] = '0';
    while (count > 0 && size < sizeof text - 1) text[size++] = digits[--count];
  }
};

// The logger's pattern ("%Y-%m-%dT%H:%M:%S.%e%z %n %l: %v"), in UTC: localtime_r is not async-signal-safe.
void add_timestamp(Line& line) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  long long days = now.tv_sec / 86400, secs = now.tv_sec % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  days += 719468;
  const long long era = days / 146097, doe = days - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
  const long long year = yoe + era * 400 + (month <= 2);
  line.add_number(year, 4), line.add("-"), line.add_number(month, 2), line.add("-"), line.add_number(day, 2);
  line.add("T"), line.add_number(secs / 3600, 2), line.add(":"), line.add_number(secs / 60 % 60, 2);
  line.add(":"), line.add_number(secs % 60, 2), line.add("."), line.add_number(now.tv_nsec / 1000000, 3);
  line.add("+00:00 ");
}

extern "C" void on_hook_deadline(int) {
  report_hook_deadline();
  ::_exit(1);
}

void set_step(std::string_view what) {
  g_step_changing.store(true);
  const size_t n = std::min(what.size(), kMaxName - 1);
  std::memcpy(g_step, what.data(), n);
  g_step[n] = '\0';
  g_step_changing.store(false);
}

}  // namespace

namespace {

// "<time> <program> error: " + what `add` appends + "\n", written to stderr at once.
template <typename Add>
void write_error_line(Add add) noexcept {
  Line line;
  add_timestamp(line);
  line.add(g_program), line.add(" error: ");
  add(line);
  line.add("\n");
  ssize_t ignored = ::write(STDERR_FILENO, line.text, line.size);
  (void)ignored;
}

}  // namespace

void report_hook_deadline(bool remove_temp_files) noexcept {
  for (auto& child : g_children) {
    pid_t target = child.load();
    if (target != 0) ::kill(target, SIGKILL);
  }
  for (auto& temp : g_temps) {
    int dir = temp.dir.load();
    if (remove_temp_files && dir >= 0) ::unlinkat(dir, temp.name, 0);
  }
  write_error_line([](Line& line) {
    line.add(g_step_changing.load() || g_step[0] == '\0' ? "the hook" : g_step);
    line.add(" took longer than ");
    if (g_timeout_ms % 1000 == 0) {
      line.add_number(g_timeout_ms / 1000), line.add(" s");
    } else {
      line.add_number(g_timeout_ms), line.add(" ms");
    }
    line.add(" (the hook's deadline, NVIDIA_CTK_HOOK_TIMEOUT); its children were killed");
  });
}

void report_hook_error(const char* message) noexcept {
  write_error_line([message](Line& line) { line.add(message); });
}

std::chrono::seconds hook_timeout(const char* value, std::chrono::seconds fallback) {
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  // strtol skips leading blanks and takes a sign: a digit must come first.
  const bool digit_first = *value >= '0' && *value <= '9';
  const long seconds = digit_first ? std::strtol(value, &end, 10) : 0;
  if (!digit_first || errno != 0 || *end != '\0' || seconds < 1 || seconds > kMaxHookTimeout.count()) {
    spdlog::warn("Ignoring {}={}: not a whole number of seconds from 1 to {}; using {} s", kHookTimeoutVariable,
                 printable(value), kMaxHookTimeout.count(), fallback.count());
    return fallback;
  }
  return std::chrono::seconds(seconds);
}

void arm_alarm(void (*handler)(int), std::chrono::microseconds after, const char* what) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigfillset(&sa.sa_mask);
  if (::sigaction(SIGALRM, &sa, nullptr) != 0) throw sys_error(std::string("failed to set ") + what);
  struct itimerval when {};
  when.it_value.tv_sec = static_cast<time_t>(after.count() / 1000000);
  when.it_value.tv_usec = static_cast<suseconds_t>(after.count() % 1000000);
  if (::setitimer(ITIMER_REAL, &when, nullptr) != 0) throw sys_error(std::string("failed to set ") + what);
}

void arm_hook_deadline(std::chrono::milliseconds timeout, const char* program, Clock::time_point since) {
  g_program = program;
  g_timeout_ms = timeout.count();
  const Clock::time_point deadline = since + timeout;
  g_deadline.store(deadline.time_since_epoch().count());
  // A zero timer disarms: one already past fires at once.
  const auto left = std::max(std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()),
                             std::chrono::microseconds(1));
  arm_alarm(on_hook_deadline, left, "the hook's deadline");
}

void disarm_hook_deadline() {
  struct itimerval none {};
  ::setitimer(ITIMER_REAL, &none, nullptr);
  g_deadline.store(Clock::time_point::max().time_since_epoch().count());
}

Clock::time_point hook_deadline() { return Clock::time_point(Clock::duration(g_deadline.load())); }

std::chrono::milliseconds hook_timeout_set() {
  return hook_deadline() == Clock::time_point::max() ? std::chrono::milliseconds(0)
                                                     : std::chrono::milliseconds(g_timeout_ms);
}

HookStep::HookStep(std::string_view what) : previous_(g_step) { set_step(what); }
HookStep::~HookStep() { set_step(previous_); }

HookChild::HookChild(pid_t target) : slot_(-1) {
  for (int i = 0; i < kSlots; ++i) {
    pid_t free = 0;
    if (g_children[i].compare_exchange_strong(free, target)) {
      slot_ = i;
      return;
    }
  }
  ::kill(target, SIGKILL);  // a child the deadline could not reach must not outlive this error
  throw Error("more than 16 children of the hook at once");
}

HookChild::~HookChild() { g_children[slot_].store(0); }

HookTempFile::HookTempFile(int dir_fd, const std::string& name) : slot_(-1) {
  if (name.size() >= kMaxName) throw Error("temporary file name " + printable(name) + " is too long");
  for (int i = 0; i < kSlots; ++i) {
    if (g_temps[i].dir.load() != -1) continue;
    std::memcpy(g_temps[i].name, name.c_str(), name.size() + 1);
    g_temps[i].dir.store(dir_fd);  // published after the name: the handler never sees half of one
    slot_ = i;
    return;
  }
  throw Error("more than 16 temporary files of the hook at once");
}

HookTempFile::~HookTempFile() { release(); }

void HookTempFile::release() {
  if (slot_ >= 0) g_temps[slot_].dir.store(-1);
  slot_ = -1;
}

}  // namespace gpuhooks::rootfs
