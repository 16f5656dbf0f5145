// Every hook of ours has a deadline (common/rootfs/hook_deadline.h): NVIDIA_CTK_HOOK_TIMEOUT, or for the prestart
// hook run by Docker with no environment its config key. Whatever holds it (a caller that never closes stdin, a
// stalled child), the hook exits 1 at the deadline with one line saying what took too long, and leaves no process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "e2e/harness/bundle.h"
#include "e2e/harness/prestart_config.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace gpuhooks::e2e {
namespace {

struct Stalled {
  int exit_code = -1;
  std::string err;
  steady_clock::duration took{};
};

// Runs `argv` with `env` and a stdin that stays open and empty (a runtime that never sends the state). The test's
// own bound: 30 s, then the hook is killed and the test fails.
Stalled run_with_stdin_held_open(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int in[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<const char*> args, envp;
  for (const auto& a : argv) args.push_back(a.c_str());
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  const auto start = steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(args[0], const_cast<char* const*>(args.data()), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(err[1]);
  Stalled s;
  char buf[4096];
  for (;;) {
    struct pollfd p {
      err[0], POLLIN, 0
    };
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + seconds(30) - steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << argv[0] << " was still running after 30 s";
      break;
    }
    ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n <= 0) break;
    s.err.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  s.took = steady_clock::now() - start;
  s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::close(in[1]);
  ::close(err[0]);
  return s;
}

// Processes whose command line holds `marker`.
int processes_with(const std::string& marker) {
  int count = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::error_code ec;
    if (!std::isdigit(static_cast<unsigned char>(e.path().filename().string()[0]))) continue;
    std::string cmdline;
    try {
      cmdline = test::read_file(e.path() / "cmdline");
    } catch (...) {
      continue;
    }
    if (cmdline.find(marker) != std::string::npos) ++count;
  }
  return count;
}

void expect_one_line(const std::string& err, const std::string& part) {
  EXPECT_NE(err.find(part), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(HookDeadline, TheCdiHookWaitingForAStateThatNeverComesExitsAtTheDeadline) {
  auto s = run_with_stdin_held_open({test::built("nvidia-cdi-hook").string(), "create-symlinks", "--link", "a::/b"},
                                    {"NVIDIA_CTK_HOOK_TIMEOUT=1"});
  EXPECT_EQ(s.exit_code, 1);
  expect_one_line(s.err, "nvidia-cdi-hook error: reading the container state took longer than 1 s");
  EXPECT_LT(s.took, seconds(5));
}

TEST(HookDeadline, TheDefaultIsTenSecondsNotForever) {
  auto s = run_with_stdin_held_open({test::built("nvidia-cdi-hook").string(), "update-ldcache", "--folder", "/x"}, {});
  EXPECT_EQ(s.exit_code, 1);
  expect_one_line(s.err, "reading the container state took longer than 10 s");
}

// Docker's --gpus hook has no environment: the config key sets its deadline.
TEST(HookDeadline, ThePrestartHookTakesItsDeadlineFromTheConfigKey) {
  test::TempDir dir;
  test::write_file(dir / "config.toml", "[nvidia-container-runtime-hook]\ntimeout = 1\n");
  auto s = run_with_stdin_held_open(
      {test::built("nvidia-container-runtime-hook").string(), "-config", (dir / "config.toml").string(), "prestart"},
      {});
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("container state"), std::string::npos) << s.err;
  EXPECT_EQ(std::count(s.err.begin(), s.err.end(), '\n'), 1) << s.err;
  EXPECT_LT(s.took, seconds(5));
}

TEST(HookDeadline, AnOutOfRangeConfigKeyIsAOneLineError) {
  test::TempDir dir;
  test::write_file(dir / "config.toml", "[nvidia-container-runtime-hook]\ntimeout = 0\n");
  auto r = test::run(
      {test::built("nvidia-container-runtime-hook").string(), "-config", (dir / "config.toml").string(), "prestart"},
      "{}");
  EXPECT_EQ(r.exit_code, 1);
  expect_one_line(r.err, "nvidia-container-runtime-hook.timeout: 0 is not from 1 to 3600 seconds");
}

// A CDI spec whose hook never returns, served by the prestart hook under runc: the start fails in the deadline,
// saying which hook, and the hook's process is gone.
TEST(HookDeadline, AStalledHookOfASpecIsKilledAndTheStartFailsInTime) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "cdi");
  const std::string marker = "1234.5" + std::to_string(::getpid());
  test::write_file(config.spec_dir / "stall.yaml",
                   "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: \"0\"\n  containerEdits:\n    hooks:\n"
                   "    - hookName: createContainer\n      path: /bin/sh\n      args: [sh, -c, \"exec sleep " +
                       marker + "\"]\n");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  Hook hook = prestart_hook(config);
  hook.env->push_back("NVIDIA_CTK_HOOK_TIMEOUT=2");
  b.hook(Stage::kPrestart, hook);
  b.shell("echo started");
  const auto start = steady_clock::now();
  auto r = run_runc(b);
  EXPECT_LT(steady_clock::now() - start, seconds(15));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  const std::string log = config.log_text();
  EXPECT_NE((r.err + log).find("took longer than"), std::string::npos) << r.err << log;
  EXPECT_NE((r.err + log).find("hook /bin/sh"), std::string::npos) << r.err << log;
  EXPECT_EQ(processes_with(marker), 0);
}

}  // namespace
}  // namespace gpuhooks::e2e
