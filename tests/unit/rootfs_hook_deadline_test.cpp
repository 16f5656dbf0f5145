// The whole hook's deadline (common/rootfs/hook_deadline.h): past it, whatever the hook is blocked on, its children
// are killed, its temporary files removed, one line says what took too long, and the exit status is 1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/rootfs/hook_deadline.h"
#include "support/test_support.h"

namespace gpuhooks::rootfs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HookTimeout, UnsetOrEmptyIsTheFallback) {
  EXPECT_EQ(hook_timeout(nullptr), kDefaultHookTimeout);
  EXPECT_EQ(hook_timeout(""), kDefaultHookTimeout);
  EXPECT_EQ(hook_timeout(nullptr, seconds(4)), seconds(4));
}

TEST(HookTimeout, WholeSecondsFromOneToAnHourAreTaken) {
  EXPECT_EQ(hook_timeout("1"), seconds(1));
  EXPECT_EQ(hook_timeout("3600"), seconds(3600));
}

TEST(HookTimeout, AnythingElseIsTheFallbackNeverNoDeadline) {
  for (const char* bad : {"0", "-1", "3601", "2s", " 2", "1.5", "99999999999999999999", "abc"})
    EXPECT_EQ(hook_timeout(bad, seconds(7)), seconds(7)) << bad;
}

TEST(HookDeadline, UnarmedThereIsNoneAndNoTimeoutToName) {
  disarm_hook_deadline();
  EXPECT_EQ(hook_deadline(), std::chrono::steady_clock::time_point::max());
  EXPECT_EQ(hook_timeout_set(), milliseconds(0));
}

TEST(HookDeadline, ArmedItIsTheTimeoutAfterTheStart) {
  const auto since = std::chrono::steady_clock::now() - seconds(2);
  arm_hook_deadline(seconds(60), "test", since);
  EXPECT_EQ(hook_deadline(), since + seconds(60));
  EXPECT_EQ(hook_timeout_set(), seconds(60));
  disarm_hook_deadline();
}

// The hook blocked for good (a read from a pipe nobody writes), with a child and a temporary file in flight.
void block_with_a_child_and_a_temp_file(const std::filesystem::path& dir) {
  int dir_fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ::close(::openat(dir_fd, ".ld.so.cache.gpuhooks-x", O_WRONLY | O_CREAT, 0644));
  HookTempFile temp(dir_fd, ".ld.so.cache.gpuhooks-x");
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  HookChild registered(child);
  std::ofstream(dir / "child") << child;
  HookStep step("update-ldcache");
  arm_hook_deadline(milliseconds(300), "nvidia-cdi-hook");
  int fds[2];
  if (::pipe(fds) != 0) ::_exit(3);
  char byte;
  (void)!::read(fds[0], &byte, 1);
  ::_exit(2);  // not reached: the deadline exits first
}

TEST(HookDeadlineDeathTest, PastItTheChildIsKilledTheTempFileRemovedAndOneLineSaysWhat) {
  GTEST_FLAG_SET(death_test_style, "fast");  // a fork: the child shares the test's temp dir
  test::TempDir dir;
  EXPECT_EXIT(block_with_a_child_and_a_temp_file(dir.path()), ::testing::ExitedWithCode(1),
              "^[0-9T:.+-]+ nvidia-cdi-hook error: update-ldcache took longer than 300 ms \\(the hook's deadline, "
              "NVIDIA_CTK_HOOK_TIMEOUT\\); its children were killed\n$");
  EXPECT_FALSE(std::filesystem::exists(dir / ".ld.so.cache.gpuhooks-x"));
  const pid_t child = std::stoi(test::read_file(dir / "child"));
  EXPECT_TRUE(test::dead_soon(child)) << "child " << child << " outlived the hook's deadline";
}

TEST(HookStep, TheStepBeforeComesBackWhenTheScopeEnds) {
  // Observable only through the deadline's line: an inner step ended, the outer one is named.
  GTEST_FLAG_SET(death_test_style, "fast");  // a fork: the child shares the test's temp dir
  EXPECT_EXIT(
      {
        HookStep outer("create-symlinks");
        { HookStep inner("reading the container state"); }
        arm_hook_deadline(milliseconds(50), "nvidia-cdi-hook");
        for (;;) ::pause();
      },
      ::testing::ExitedWithCode(1), "error: create-symlinks took longer than 50 ms");
}

}  // namespace
}  // namespace gpuhooks::rootfs
