// The sealed copy of a host binary (common/rootfs/sealed_exec.h): immutable, independent of its source, executed
// with exactly the argv and environment given.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/rootfs/sealed_exec.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;

namespace {

std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()))) > 0) out.append(buf, n);
  return out;
}

// Runs the copy in a child with stdout captured; returns {exit code, stdout}.
std::pair<int, std::string> exec_captured(const rootfs::SealedBinary& bin, const std::vector<std::string>& argv,
                                          const std::vector<std::string>& envp) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    bin.exec(argv, envp);
    ::_exit(127);
  }
  ::close(p[1]);
  std::string out = test::read_to_end(p[0]);
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST(SealedExec, CopyHoldsTheSourceBytes) {
  TempDir d;
  test::write_file(d / "prog", "not really a program\n");
  auto bin = rootfs::SealedBinary::copy_of(d / "prog");
  EXPECT_EQ(read_fd(bin.fd()), "not really a program\n");
}

TEST(SealedExec, CopyIsSealedAgainstWritingGrowingAndShrinking) {
  auto bin = rootfs::SealedBinary::copy_of("/bin/busybox");
  ASSERT_TRUE(bin.sealed());
  EXPECT_EQ(::fcntl(bin.fd(), F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  EXPECT_EQ(::write(bin.fd(), "x", 1), -1);  // the fd itself is read-only
  // Even a writable reopen of the same memfd cannot change it.
  int rw = ::open(("/proc/self/fd/" + std::to_string(bin.fd())).c_str(), O_RDWR);
  ASSERT_GE(rw, 0);
  EXPECT_EQ(::pwrite(rw, "x", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::ftruncate(rw, 1), -1);
  EXPECT_EQ(errno, EPERM);
  ::close(rw);
}

TEST(SealedExec, ChangingTheSourceAfterTheCopyDoesNotChangeTheCopy) {
  TempDir d;
  test::write_file(d / "prog", "first");
  auto bin = rootfs::SealedBinary::copy_of(d / "prog");
  test::write_file(d / "prog", "second, longer");
  EXPECT_EQ(read_fd(bin.fd()), "first");
}

TEST(SealedExec, ExecPassesExactlyTheGivenArgvAndEnvironment) {
  ::setenv("GPUHOOKS_SHOULD_NOT_LEAK", "1", 1);
  auto bin = rootfs::SealedBinary::copy_of("/bin/busybox");
  auto [code, out] = exec_captured(bin, {"env"}, {"ONLY=this"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "ONLY=this\n");
  auto [code2, out2] = exec_captured(bin, {"env"}, {});
  EXPECT_EQ(code2, 0);
  EXPECT_EQ(out2, "");
  auto [code3, out3] = exec_captured(bin, {"echo", "a", "b"}, {});
  EXPECT_EQ(out3, "a b\n");
}

TEST(SealedExec, MissingBinaryIsAnErrorNamingThePath) {
  try {
    rootfs::SealedBinary::copy_of("/nonexistent/ldconfig");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "failed to open /nonexistent/ldconfig: No such file or directory");
  }
}

TEST(SealedExec, DirectoryIsNotABinary) {
  TempDir d;
  try {
    rootfs::SealedBinary::copy_of(d.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), d.path().string() + " is not a regular file");
  }
}
