// The prestart hook's apply child (common/plan/child_process.h): the body runs in a process of its own, in a group of
// its own; what it throws comes back as the same one line; past the deadline it is killed with everything it started,
// one line names the step, and the hook exits 1, whatever the body was blocked on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/plan/child_process.h"
#include "common/rootfs/hook_deadline.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kFar = Clock::now() + std::chrono::hours(1);

TEST(ApplyChild, TheBodyRunsInAnotherProcessInAGroupOfItsOwn) {
  const pid_t us = ::getpid();
  pid_t seen_pid = 0, seen_group = 0;
  // Written through memory the child shares with us, or not at all under AddressSanitizer's fork: either way what
  // it reports through a file is the truth.
  test::TempDir dir;
  run_in_child(
      "probing", [&] { std::ofstream(dir / "ids") << ::getpid() << " " << ::getpgid(0); }, kFar);
  std::ifstream(dir / "ids") >> seen_pid >> seen_group;
  EXPECT_NE(seen_pid, us);
  EXPECT_EQ(seen_group, seen_pid);
}

TEST(ApplyChild, WhatTheBodyThrowsComesBackAsItsOneLine) {
  try {
    run_in_child(
        "applying", [] { throw Error("cannot mount over /dev/nvidia0 in the container"); }, kFar);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot mount over /dev/nvidia0 in the container");
  }
}

TEST(ApplyChild, ABodyThatExitsIsAnErrorNeverASuccess) {
  try {
    run_in_child(
        "applying", [] { ::_exit(3); }, kFar);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "applying: the child exited with status 3");
  }
}

// A child killed by a signal may have been stopped half way through changing memory it shared with the hook: the
// hook says so in one line and exits 1, using nothing of that memory again.
TEST(ApplyChildDeathTest, ABodyKilledByASignalEndsTheHookWithOneLine) {
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_EXIT(
      {
        rootfs::arm_hook_deadline(seconds(30), "nvidia-container-runtime-hook");
        run_in_child(
            "applying the plan in the container", [] { ::raise(SIGTERM); }, kFar);
        ::_exit(2);
      },
      ::testing::ExitedWithCode(1),
      "^[0-9T:.+-]+ nvidia-container-runtime-hook error: applying the plan in the container: the child was killed by "
      "signal 15 \\(SIGTERM\\)\n$");
}

TEST(ApplyChild, AfterTheChildTheCallerGoesOnAsBefore) {
  // Whatever the child allocated and freed, and however many times it ran: the caller's own state is intact.
  std::vector<std::string> kept(100, std::string(100, 'x'));
  for (int i = 0; i < 20; ++i) {
    run_in_child(
        "allocating",
        [] {
          std::vector<std::string> v;
          for (int j = 0; j < 1000; ++j) v.emplace_back(200, 'y');
        },
        kFar);
  }
  for (const auto& s : kept) ASSERT_EQ(s, std::string(100, 'x'));
}

void expect_dead_soon(const std::filesystem::path& pid_file) {
  const pid_t pid = std::stoi(test::read_file(pid_file));
  EXPECT_TRUE(test::dead_soon(pid)) << "process " << pid << " outlived the deadline";
}

// The line the hook's deadline writes when an apply child of a hook with a 30 s deadline runs out of its own.
constexpr const char* kApplyDeadlineLine =
    "^[0-9T:.+-]+ nvidia-container-runtime-hook error: applying the plan in the container took longer than 30 s "
    "\\(the hook's deadline, NVIDIA_CTK_HOOK_TIMEOUT\\); its children were killed\n$";

// `body` as the apply child of a hook whose deadline is 30 s, with 300 ms of its own; never returns (the deadline
// ends the hook first, or the test fails on exit status 2).
[[noreturn]] void apply_for_300_ms(const std::function<void()>& body) {
  rootfs::arm_hook_deadline(seconds(30), "nvidia-container-runtime-hook");
  run_in_child("applying the plan in the container", body, Clock::now() + milliseconds(300));
  ::_exit(2);
}

// A body blocked for good (a read nobody answers) with a process it started: past the deadline both are gone, the
// line names the step, the hook exits 1.
void block_in_child_with_a_grandchild(const std::filesystem::path& dir) {
  apply_for_300_ms([&] {
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::pause();
      ::_exit(0);
    }
    std::ofstream(dir / "grandchild") << grandchild;
    int fds[2];
    if (::pipe(fds) != 0) ::_exit(3);
    char byte;
    (void)!::read(fds[0], &byte, 1);
  });
}

TEST(ApplyChildDeathTest, PastTheDeadlineABlockedBodyAndWhatItStartedAreKilledAndOneLineSaysWhat) {
  GTEST_FLAG_SET(death_test_style, "fast");  // a fork: the child shares the test's temp dir
  test::TempDir dir;
  const auto start = Clock::now();
  EXPECT_EXIT(block_in_child_with_a_grandchild(dir.path()), ::testing::ExitedWithCode(1), kApplyDeadlineLine);
  EXPECT_LT(Clock::now() - start, seconds(5));
  expect_dead_soon(dir / "grandchild");
}

// A body that no signal handler can reach: it waits for a vfork child (a wait only a fatal signal ends). Its SIGKILL
// timer ends it; the line is written for it, and the vfork child, in its group, is killed with it.
void block_where_no_handler_runs(const std::filesystem::path& dir) {
  const std::string pid_file = (dir / "vforked").string();
  apply_for_300_ms([&] {
    if (::vfork() == 0) {
      // Only system calls here: this process runs in its parent's memory.
      char text[24];
      int n = std::snprintf(text, sizeof text, "%d", static_cast<int>(::getpid()));
      int fd = ::open(pid_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      (void)!::write(fd, text, static_cast<size_t>(n));
      ::close(fd);
      for (;;) ::pause();
    }
  });
}

TEST(ApplyChildDeathTest, ABodyNoHandlerCanReachIsKilledAndTheLineIsStillWritten) {
  GTEST_FLAG_SET(death_test_style, "fast");
  test::TempDir dir;
  const auto start = Clock::now();
  EXPECT_EXIT(block_where_no_handler_runs(dir.path()), ::testing::ExitedWithCode(1), kApplyDeadlineLine);
  EXPECT_LT(Clock::now() - start, seconds(5));
  expect_dead_soon(dir / "vforked");
}

// A cgroup v1 freezer group of the test's own: a process frozen there ignores every signal, SIGKILL included, until
// the group is thawed (as a process held by a hung filesystem does). Thawed and removed at the end.
class FreezerGroup {
 public:
  static constexpr const char* kRoot = "/sys/fs/cgroup/freezer";
  static bool available() { return std::filesystem::exists(std::filesystem::path(kRoot) / "tasks"); }
  FreezerGroup() : path_(std::filesystem::path(kRoot) / ("gpuhooks-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directory(path_);
  }
  ~FreezerGroup() {
    thaw();
    for (int i = 0; i < 200 && !std::filesystem::remove(path_, ignored_); ++i) ::usleep(10000);
  }
  FreezerGroup(const FreezerGroup&) = delete;
  FreezerGroup& operator=(const FreezerGroup&) = delete;
  // Moves the calling process into the group and freezes it, the caller with it.
  void freeze_self() const {
    std::ofstream(path_ / "cgroup.procs") << ::getpid() << std::flush;
    std::ofstream(path_ / "freezer.state") << "FROZEN" << std::flush;
  }
  void thaw() const { std::ofstream(path_ / "freezer.state") << "THAWED" << std::flush; }

 private:
  std::filesystem::path path_;
  std::error_code ignored_;
};

// The apply child stopped where no signal reaches it, its own SIGKILL timer included: the hook still ends, killed by
// the timer it set for itself a second past the deadline, and the container start is not held for good.
TEST(ApplyChild, AChildNoSignalReachesStillLetsTheHookEndASecondPastTheDeadline) {
  if (!FreezerGroup::available()) GTEST_SKIP() << "no cgroup v1 freezer at " << FreezerGroup::kRoot;
  test::TempDir dir;
  FreezerGroup group;
  const auto start = Clock::now();
  const pid_t hook = ::fork();
  ASSERT_GE(hook, 0);
  if (hook == 0) {
    run_in_child(
        "applying the plan in the container",
        [&] {
          std::ofstream(dir / "child") << ::getpid() << std::flush;
          group.freeze_self();
          for (;;) ::pause();
        },
        Clock::now() + milliseconds(300));
    ::_exit(2);
  }
  int status = 0;
  pid_t waited = 0;
  for (int i = 0; i < 1000 && (waited = ::waitpid(hook, &status, WNOHANG)) == 0; ++i) ::usleep(10000);
  if (waited == 0) {  // never a hung test: free the child, end the hook, then fail
    group.thaw();
    ::kill(hook, SIGKILL);
    ::waitpid(hook, &status, 0);
    FAIL() << "the hook was still waiting for its frozen child 10 s later";
  }
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_GE(Clock::now() - start, milliseconds(1300));
  const pid_t child = std::stoi(test::read_file(dir / "child"));
  EXPECT_FALSE(test::dead(child)) << "the child ended by itself: the hook's own timer was not what ended the hook";
  group.thaw();
  EXPECT_TRUE(test::dead_soon(child)) << "the thawed child " << child << " outlived the hook";
}

// While the child runs the hook's own deadline waits; once the child has ended in time, it is armed again.
TEST(ApplyChildDeathTest, AfterTheChildTheHooksOwnDeadlineStillFires) {
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_EXIT(
      {
        rootfs::arm_hook_deadline(milliseconds(300), "nvidia-container-runtime-hook");
        rootfs::HookStep step("reading the container state");
        run_in_child(
            "applying the plan in the container", [] {}, kFar);
        for (;;) ::pause();
      },
      ::testing::ExitedWithCode(1),
      "^[0-9T:.+-]+ nvidia-container-runtime-hook error: reading the container state took "
      "longer than 300 ms \\(the hook's deadline, NVIDIA_CTK_HOOK_TIMEOUT\\)");
}

}  // namespace
}  // namespace gpuhooks::plan
