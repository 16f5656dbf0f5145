// Running code pivoted into a container root in fresh namespaces (common/rootfs/isolated_root.h). The body runs
// in the child; it reports by writing files in the root, which the test reads from the host side afterwards.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "common/error.h"
#include "common/rootfs/isolated_root.h"
#include "common/rootfs/sealed_exec.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;

namespace {

void report(const std::string& name, const std::string& value) { std::ofstream(name) << value; }

std::string proc_pids() {
  std::string pids;
  DIR* d = ::opendir("/proc");
  if (!d) return "no /proc";
  while (auto* e = ::readdir(d))
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') pids += std::string(e->d_name) + " ";
  ::closedir(d);
  return pids;
}

std::string mountinfo() { return test::read_file("/proc/self/mountinfo"); }

class IsolatedRoot : public ::testing::TestWithParam<bool> {
 protected:
  rootfs::IsolationOptions options() const { return {.no_pivot = GetParam()}; }
};

}  // namespace

TEST_P(IsolatedRoot, BodyRunsWithTheRootAsSlashAndCwd) {
  TempDir root;
  rootfs::run_isolated_in_root(
      root.path(), "body",
      [] {
        report("/marker", "written inside");
        char cwd[256];
        report("/cwd", ::getcwd(cwd, sizeof cwd) ? cwd : "?");
      },
      options());
  EXPECT_EQ(test::read_file(root / "marker"), "written inside");
  EXPECT_EQ(test::read_file(root / "cwd"), "/");
}

TEST_P(IsolatedRoot, HostPathsAreNotReachableFromTheBody) {
  TempDir root, host;
  test::write_file(host / "secret", "host");
  const std::string host_file = (host / "secret").string();
  rootfs::run_isolated_in_root(
      root.path(), "body", [&] { report("/reachable", ::access(host_file.c_str(), F_OK) == 0 ? "yes" : "no"); },
      options());
  EXPECT_EQ(test::read_file(root / "reachable"), "no");
}

TEST_P(IsolatedRoot, BodyIsPidOneAndSeesOnlyItsOwnPidNamespaceInAFreshProc) {
  TempDir root;
  std::filesystem::create_directories(root / "proc");
  rootfs::run_isolated_in_root(
      root.path(), "body",
      [] {
        report("/pid", std::to_string(::getpid()));
        report("/pids", proc_pids());
      },
      options());
  EXPECT_EQ(test::read_file(root / "pid"), "1");
  EXPECT_EQ(test::read_file(root / "pids"), "1 ");
}

TEST_P(IsolatedRoot, NoProcIsCreatedInARootWithoutOne) {
  TempDir root;
  rootfs::run_isolated_in_root(
      root.path(), "body", [] {}, options());
  EXPECT_FALSE(std::filesystem::exists(root / "proc"));
  EXPECT_TRUE(std::filesystem::is_empty(root.path()));
}

TEST_P(IsolatedRoot, NoMountLeaksIntoTheCallersNamespace) {
  TempDir root;
  std::filesystem::create_directories(root / "proc");
  rootfs::run_isolated_in_root(
      root.path(), "body", [] {}, options());
  EXPECT_EQ(mountinfo().find(root.path().string()), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(root / "proc"));
}

TEST_P(IsolatedRoot, ProcSymlinkInTheImageIsResolvedInsideTheRoot) {
  TempDir root, host;
  std::filesystem::create_directories(root / "realproc");
  std::filesystem::create_directory_symlink("/realproc", root / "proc");
  std::filesystem::create_directory_symlink(host.path(), root / "hostproc");
  rootfs::run_isolated_in_root(
      root.path(), "body", [] { report("/procself", ::access("/realproc/self", F_OK) == 0 ? "mounted" : "missing"); },
      options());
  EXPECT_EQ(test::read_file(root / "procself"), "mounted");
  EXPECT_TRUE(std::filesystem::is_empty(host.path()));
}

TEST_P(IsolatedRoot, ErrorThrownInTheBodyComesBackAsOneLineError) {
  TempDir root;
  try {
    rootfs::run_isolated_in_root(
        root.path(), "body", [] { throw Error("cannot write /etc/ld.so.conf"); }, options());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot write /etc/ld.so.conf");
  }
}

// The child writes its error while the caller is suspended (CLONE_VFORK): one larger than the pipe must not
// leave both waiting on each other.
TEST_P(IsolatedRoot, AnErrorLargerThanThePipeIsCutNotAHang) {
  TempDir root;
  const std::string huge(200000, 'x');
  try {
    rootfs::run_isolated_in_root(
        root.path(), "body", [&] { throw Error(huge); }, options());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_LE(message.size(), 4096u);
    EXPECT_EQ(message.substr(0, 10), "xxxxxxxxxx");
    EXPECT_EQ(message.substr(message.size() - 3), "...");
  }
}

TEST_P(IsolatedRoot, NonZeroExitOfTheExecutedProgramIsAnError) {
  TempDir root;
  auto busybox = rootfs::SealedBinary::copy_of("/bin/busybox");
  try {
    rootfs::run_isolated_in_root(
        root.path(), "busybox",
        [&] {
          busybox.exec({"sh", "-c", "exit 7"}, {});
          throw Error("exec failed");
        },
        options());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "busybox exited with status 7");
  }
}

TEST_P(IsolatedRoot, ExecutedProgramRunsInsideTheRoot) {
  TempDir root;
  auto busybox = rootfs::SealedBinary::copy_of("/bin/busybox");
  rootfs::run_isolated_in_root(
      root.path(), "busybox",
      [&] {
        busybox.exec({"sh", "-c", "echo $$ > /shell-pid"}, {});
      },
      options());
  EXPECT_EQ(test::read_file(root / "shell-pid"), "1\n");
}

TEST(IsolatedRootErrors, MissingRootIsAnErrorNamingIt) {
  try {
    rootfs::run_isolated_in_root("/nonexistent/rootfs", "body", [] {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "failed to open container root /nonexistent/rootfs: No such file or directory");
  }
}

INSTANTIATE_TEST_SUITE_P(PivotAndMoveChroot, IsolatedRoot, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "MoveChroot" : "Pivot"; });

// ---- the deadline ---------------------------------------------------------------------------------------------------

namespace {

std::string deadline_error_of(const std::filesystem::path& root, const std::function<void()>& body,
                              std::chrono::milliseconds timeout, std::chrono::steady_clock::duration* took) {
  rootfs::IsolationOptions options;
  options.timeout = timeout;
  const auto start = std::chrono::steady_clock::now();
  try {
    rootfs::run_isolated_in_root(root, "stalled", body, options);
  } catch (const Error& e) {
    *took = std::chrono::steady_clock::now() - start;
    return e.what();
  }
  *took = std::chrono::steady_clock::now() - start;
  return "(no error)";
}

}  // namespace

// After the exec the caller holds the deadline: a program that never finishes is killed (SIGKILL to pid 1 of its own
// pid namespace, which takes along everything it started).
TEST(IsolatedRootDeadline, AnExecdProgramThatStallsIsKilledAtTheDeadline) {
  TempDir root;
  auto busybox = rootfs::SealedBinary::copy_of("/bin/busybox");
  std::chrono::steady_clock::duration took{};
  const std::string what = deadline_error_of(
      root.path(),
      [&] {
        busybox.exec({"sleep", "60"}, {});
      },
      std::chrono::milliseconds(500), &took);
  EXPECT_EQ(what, "stalled took longer than 0.5 s in container root " + root.path().string() + "; killed");
  EXPECT_LT(took, std::chrono::seconds(5));
}

// Before the exec the caller is suspended (CLONE_VFORK): the child's own timer ends a body that blocks.
TEST(IsolatedRootDeadline, ABodyThatBlocksBeforeAnyExecIsEndedAtTheDeadline) {
  TempDir root;
  std::chrono::steady_clock::duration took{};
  const std::string what = deadline_error_of(
      root.path(), [] { ::pause(); }, std::chrono::seconds(1), &took);
  EXPECT_EQ(what, "stalled took longer than 1 s in container root " + root.path().string() + "; killed");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(IsolatedRootDeadline, AProgramThatFinishesInTimeIsUnaffected) {
  TempDir root;
  auto busybox = rootfs::SealedBinary::copy_of("/bin/busybox");
  rootfs::IsolationOptions options;
  options.timeout = std::chrono::seconds(5);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(rootfs::run_isolated_in_root(
      root.path(), "quick", [&] { busybox.exec({"true"}, {}); }, options));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_THROW(rootfs::run_isolated_in_root(
                   root.path(), "failing", [&] { busybox.exec({"false"}, {}); }, options),
               Error);
}
