// nvidia-cdi-hook update-ldcache against an image that tries to stop the container start for good or to reach the
// host through what the ldconfig child inherits (issue 9 §1): FIFOs where ldconfig reads, and a host directory fd
// the hook was started with. A hook that hangs blocks `runc run` forever, so every run here has its own bound and
// the hook must come back well inside it with one line. The binary is run directly where the attack needs what runc
// never does (an inherited fd); through runc where the image alone is enough. These attack the ldconfig path
// (--use-ldconfig, and the busybox image has no cache for the writer to take); the same attacks on the cache writer,
// which runs by default on images with a cache, are in cdi_hook_ldcache_writer_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/runc.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

std::string state_for_root(const fs::path& root) {
  return nlohmann::json{{"ociVersion", "1.0.2-dev"},
                        {"id", "limits"},
                        {"status", "creating"},
                        {"pid", 1},
                        {"bundle", root.parent_path().string()},
                        {"root", root.string()}}
      .dump();
}

// The hook run directly, its wall time measured. `timeout` (seconds) is NVIDIA_CTK_HOOK_TIMEOUT.
struct Timed {
  test::RunResult r;
  std::chrono::steady_clock::duration took;
};
Timed run_update_ldcache(const fs::path& root, const std::string& timeout = "2") {
  const auto start = std::chrono::steady_clock::now();
  auto r = test::run(
      {test::built("nvidia-cdi-hook").string(), "update-ldcache", "--use-ldconfig", "--folder", "/usr/lib/simgpu"},
      state_for_root(root), {"NVIDIA_CTK_DEBUG=false", "NVIDIA_CTK_HOOK_TIMEOUT=" + timeout});
  return {r, std::chrono::steady_clock::now() - start};
}

void expect_one_error_line(const test::RunResult& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << "expected: " << expected << "\n   got: " << r.err;
}

// A bundle with the simulated driver folder in its rootfs (a copy: the hook is run without runc's mounts).
void add_driver_folder(Bundle& b) {
  fs::create_directories(b.host_path_of("/usr/lib/simgpu"));
  fs::copy_file(make_simgpu_driver_dir(b.scratch("host")) / kSimgpuFile,
                b.host_path_of("/usr/lib/simgpu") / kSimgpuFile);
}

void plant_fifo(Bundle& b, const std::string& container_path) {
  fs::create_directories(b.host_path_of(container_path).parent_path());
  fs::remove(b.host_path_of(container_path));
  ASSERT_EQ(::mkfifo(b.host_path_of(container_path).c_str(), 0644), 0) << container_path;
}

// ---- what the ldconfig child inherits -------------------------------------------------------------------------------

// The hook was started with a host directory open on an fd that is not close-on-exec (a careless caller); the image
// points ldconfig's aux cache directory at that fd through the child's own procfs. ldconfig must not have it.
TEST(InheritedDescriptors, AnImageCannotWriteThroughAHostDirectoryFdTheHookInherited) {
  Bundle b;
  add_driver_folder(b);
  const fs::path decoy = b.scratch("host-decoy");
  fs::create_directories(decoy);
  const int fd = ::open(decoy.c_str(), O_RDONLY | O_DIRECTORY);  // no O_CLOEXEC: the hook inherits it
  ASSERT_GE(fd, 3);
  fs::remove_all(b.host_path_of("/var/cache/ldconfig"));
  b.symlink_in("/proc/self/fd/" + std::to_string(fd), "/var/cache/ldconfig");
  const std::string before = describe_host_tree(decoy);
  auto t = run_update_ldcache(b.rootfs());
  ::close(fd);
  EXPECT_EQ(describe_host_tree(decoy), before) << "ldconfig wrote into the host directory:\n" << t.r.err;
  EXPECT_TRUE(fs::is_empty(decoy));
  EXPECT_EQ(t.r.exit_code, 0) << t.r.err;
}

// ldconfig runs with no capability but CAP_DAC_OVERRIDE, no_new_privs set, no descriptor of the hook's beyond
// stderr, and bounded memory and CPU. To look at that from inside, the carried program is busybox under the name
// "sh" (--ldconfig-path names the host binary to carry in; argv[0] is its file name): `sh -f /etc/ld.so.conf -C
// /etc/ld.so.cache` runs /etc/ld.so.conf as a script, which reports the shell's own status into the root. (Read as
// linker configuration first, its lines are only directory names that do not exist.)
TEST(InheritedDescriptors, TheCarriedProgramRunsWithOneCapabilityNoNewPrivsAndNoExtraFds) {
  Bundle b;
  const fs::path decoy = b.scratch("host-decoy");
  fs::create_directories(decoy);
  const int fd = ::open(decoy.c_str(), O_RDONLY | O_DIRECTORY);  // no O_CLOEXEC: the hook inherits it
  ASSERT_GE(fd, 3);
  const fs::path sh = b.scratch("carried") / "sh";
  fs::create_directories(sh.parent_path());
  fs::copy_file("/bin/busybox", sh);
  const std::string n = std::to_string(fd);
  b.write_in("/etc/ld.so.conf",
             "grep -E '^(Cap|NoNewPrivs)' /proc/$$/status > /report\n"
             "grep -E '^Max (data size|cpu time)' /proc/$$/limits | tr -s ' ' >> /report\n"
             "[ -e /proc/$$/fd/" +
                 n + " ] && echo fd" + n +
                 " open >> /report\n"
                 "echo end >> /report\n");
  auto r = test::run({test::built("nvidia-cdi-hook").string(), "update-ldcache", "--use-ldconfig", "--ldconfig-path",
                      sh.string(), "--folder", "/usr/lib/simgpu"},
                     state_for_root(b.rootfs()), {"NVIDIA_CTK_DEBUG=false"});
  ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(b.host_path_of("/report"))) << r.err;
  EXPECT_EQ(test::read_file(b.host_path_of("/report")),
            "CapInh:\t0000000000000000\n"
            "CapPrm:\t0000000000000002\n"  // CAP_DAC_OVERRIDE only
            "CapEff:\t0000000000000002\n"
            "CapBnd:\t0000000000000002\n"
            "CapAmb:\t0000000000000000\n"
            "NoNewPrivs:\t1\n"
            "Max cpu time 10 10 seconds \n"
            "Max data size 1073741824 1073741824 bytes \n"
            "end\n");
}

// ---- FIFOs where ldconfig reads -------------------------------------------------------------------------------------

struct FifoCase {
  std::string where;     // the FIFO, or for a library the link to it
  std::string expected;  // in the one error line
};

class FifoWhereLdconfigReads : public ::testing::TestWithParam<FifoCase> {};

// A FIFO that nobody writes blocks whoever opens it for reading. The hook skips FIFOs itself; ldconfig opens what it
// finds. The configuration is refused before ldconfig runs; a library link to a FIFO (ldconfig follows it, and
// checking every library first would cost a start what ldconfig costs) has ldconfig killed at the deadline. Either
// way the start fails in time with one line naming the root, and never hangs.
TEST_P(FifoWhereLdconfigReads, TheHookFailsWithinTheDeadlineWithOneLine) {
  Bundle b;
  add_driver_folder(b);
  const std::string where = GetParam().where;
  if (where == "/usr/lib/simgpu/libfifo.so") {
    b.symlink_in("fifo-target", "/usr/lib/simgpu/libfifo.so");
    plant_fifo(b, "/usr/lib/simgpu/fifo-target");
  } else {
    if (where.rfind("/etc/ld.so.conf.d/", 0) == 0) b.write_in("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
    plant_fifo(b, where);
  }
  auto t = run_update_ldcache(b.rootfs(), "2");
  EXPECT_LT(t.took, std::chrono::seconds(6)) << t.r.err;
  expect_one_error_line(t.r, "update-ldcache: ");
  EXPECT_NE(t.r.err.find(GetParam().expected), std::string::npos) << t.r.err;
  EXPECT_NE(t.r.err.find("container root " + b.rootfs().string()), std::string::npos) << t.r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Places, FifoWhereLdconfigReads,
    ::testing::Values(FifoCase{"/usr/lib/simgpu/libfifo.so", "took longer than 2 s in container root"},
                      FifoCase{"/etc/ld.so.conf", "linker configuration file /etc/ld.so.conf is a FIFO; refusing"},
                      FifoCase{"/etc/ld.so.conf.d/fifo.conf",
                               "linker configuration file /etc/ld.so.conf.d/fifo.conf is a FIFO; refusing"}),
    [](const auto& info) {
      std::string name;
      for (char c : info.param.where) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

// ldconfig writes its new cache as /etc/ld.so.cache~ and renames it: a FIFO planted there blocked its open for
// writing. That name is ldconfig's scratch file, so anything but a regular file there is removed first, and the
// start succeeds.
TEST(FifoWhereLdconfigWrites, AFifoAtTheTemporaryCacheNameIsRemovedAndTheCacheIsWritten) {
  Bundle b;
  add_driver_folder(b);
  plant_fifo(b, "/etc/ld.so.cache~");
  auto t = run_update_ldcache(b.rootfs(), "2");
  EXPECT_LT(t.took, std::chrono::seconds(6)) << t.r.err;
  ASSERT_EQ(t.r.exit_code, 0) << t.r.err;
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(b.host_path_of("/etc/ld.so.cache"))));
  EXPECT_FALSE(fs::exists(fs::symlink_status(b.host_path_of("/etc/ld.so.cache~"))));
  EXPECT_NE(test::read_file(b.host_path_of("/etc/ld.so.cache")).find(kSimgpuSoname), std::string::npos);
}

// The deadline is the user's: a larger NVIDIA_CTK_HOOK_TIMEOUT lets ldconfig block longer before it is killed.
TEST(HookTimeout, NvidiaCtkHookTimeoutSetsTheDeadline) {
  Bundle b;
  add_driver_folder(b);
  b.symlink_in("fifo-target", "/usr/lib/simgpu/libfifo.so");
  plant_fifo(b, "/usr/lib/simgpu/fifo-target");
  auto t = run_update_ldcache(b.rootfs(), "3");
  // The whole hook has the same deadline; ldconfig is killed a moment before it (rootfs/hook_deadline.h).
  EXPECT_GE(t.took, std::chrono::milliseconds(2800));
  EXPECT_LT(t.took, std::chrono::seconds(8));
  expect_one_error_line(t.r, "took longer than 3 s in container root " + b.rootfs().string() + "; killed");
}

// Through runc, as an image author would run it: the start fails within the deadline instead of hanging forever.
TEST(FifoWhereLdconfigReadsThroughRunc, AFifoLibraryLinkFailsTheStartInTime) {
  Bundle b;
  b.bind_mount(make_simgpu_driver_dir(b.scratch("host")), "/usr/lib/simgpu", true);
  b.symlink_in("/fifo-target", "/usr/lib/x86_64-linux-gnu/libfifo.so");
  plant_fifo(b, "/fifo-target");
  Hook hook = cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu", "--use-ldconfig"});
  hook.env->push_back("NVIDIA_CTK_HOOK_TIMEOUT=2");
  b.hook(Stage::kCreateContainer, hook);
  b.shell("echo started");
  const auto start = std::chrono::steady_clock::now();
  auto r = run_runc(b);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << r.err;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("update-ldcache: "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gpuhooks::e2e
