// The prestart hook given bad input through the real runc: one line, exit 1, the container does not start, and
// nothing of ours is left: the image's files and the host's mount table are as they were.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "e2e/harness/bundle.h"
#include "e2e/harness/busybox_rootfs.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/prestart_config.h"
#include "e2e/harness/read_only_bind.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"
#include "e2e/harness/small_tmpfs.h"

namespace gpuhooks::e2e {
namespace {

// The host's mounts under `dir` (other tests may mount elsewhere at the same time).
std::string host_mounts(const std::filesystem::path& dir) {
  std::string out;
  std::istringstream lines(test::read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(lines, line);)
    if (line.find(dir.string()) != std::string::npos) out += line + "\n";
  return out;
}

TEST(PrestartBadInput, AReadOnlyRootfsFailsTheStartAndLeavesNothing) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("echo started");
  b.write_config();
  const std::string before = describe_host_tree(b.rootfs());
  test::RunResult r;
  std::string mounts_during, mounts_after;
  {
    ReadOnlyBind read_only(b.rootfs());
    mounts_during = host_mounts(b.dir());
    r = run_runc(b);
    mounts_after = host_mounts(b.dir());
  }
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_EQ(describe_host_tree(b.rootfs()), before);
  EXPECT_EQ(mounts_after, mounts_during);
}

// Every name in a tree with its type (directory mtimes change when an entry comes and goes, so they are left out).
std::string names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    names.push_back(e.path().lexically_relative(dir).string() + (e.is_symlink()     ? " link"
                                                                 : e.is_directory() ? " dir"
                                                                                    : ""));
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += n + "\n";
  return out;
}

// The last mount of the plan (the deepest path: firmware) meets a planted link: everything made before it (device
// node files, library files, the directories they needed) is taken back, so the image has the names it had.
TEST(PrestartBadInput, AFailureAtTheLastMountLeavesTheImageAsItWas) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.symlink_in("/etc/passwd", "/usr/local/nvidia/firmware/nvidia/580.159.04/gsp_tu10x.bin");
  const std::string before = names_in(b.rootfs());
  auto r = run_refused_start(b, config, "0");
  EXPECT_NE(r.err.find("gsp_tu10x.bin in the container is a symlink; refusing to mount over it"), std::string::npos)
      << r.err;
  EXPECT_EQ(names_in(b.rootfs()), before);
}

// A container root with no room left (a small tmpfs, filled): the mount targets need only inodes, the linker
// configuration needs pages, and fails. The start fails with one error line naming what could not be written, and
// everything made before the failure (mount targets, links, drop-ins) is taken back.
TEST(PrestartBadInput, AFullRootfsFailsTheStartWithOneLineAndLeavesTheImageAsItWas) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  SmallTmpfs full(b.rootfs(), "size=16m");
  std::filesystem::copy(busybox_rootfs_template(), b.rootfs(),
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  full.fill_up();
  const std::string before = describe_image_files(b.rootfs());
  const std::string mounts_before = host_mounts(b.dir());
  auto r = run_refused_start(b, config, "0");
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const std::string log = config.log_text();
  std::vector<std::string> not_info;  // the info line saying which path serves the container comes first
  std::istringstream lines(log);
  for (std::string l; std::getline(lines, l);)
    if (l.find(" info: ") == std::string::npos) not_info.push_back(l);
  ASSERT_EQ(not_info.size(), 1u) << log;
  EXPECT_NE(not_info[0].find(" error: failed to write /etc/ld.so.conf: No space left on device (container root " +
                             b.rootfs().string() + ")"),
            std::string::npos)
      << log;
  EXPECT_EQ(describe_image_files(b.rootfs()), before);
  EXPECT_EQ(host_mounts(b.dir()), mounts_before);
}

TEST(PrestartBadInput, AnUnknownCapabilityFailsTheStartWithTheReferencesWords) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "auto");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.env("NVIDIA_DRIVER_CAPABILITIES=compute,teleport");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unsupported capabilities found in 'compute,teleport'"), std::string::npos) << r.err;
}

TEST(PrestartBadInput, AnUnmetRequirementFailsTheStartNamingItAndTheHostValue) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "auto");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.env("NVIDIA_REQUIRE_CUDA=cuda>=99.0");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("echo started");
  const std::string before = host_mounts(b.dir()) + host_mounts(host.root());
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cuda>=99.0"), std::string::npos) << r.err;
  EXPECT_EQ(host_mounts(b.dir()) + host_mounts(host.root()), before);
}

// At createContainer the state's pid is 1 (the container's own numbering): whatever /proc/1 is where the hook runs,
// it must fail the start with one line and mount nothing (the hook also refuses a namespace that is its own).
TEST(PrestartBadInput, RunAsACreateContainerHookItFailsAndMountsNothing) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.hook(Stage::kCreateContainer, prestart_hook(config));
  b.shell("echo started");
  const std::string before = host_mounts(host.root());
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("container process 1"), std::string::npos) << r.err;
  EXPECT_EQ(host_mounts(host.root()), before);
}

TEST(PrestartBadInput, ARestartedContainerRootGetsNothingTwice) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("ls /etc/ld.so.conf.d | wc -l; ls -la /usr/local/nvidia/lib64 | wc -l");
  auto first = run_runc(b);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto second = run_runc(b);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

}  // namespace
}  // namespace gpuhooks::e2e
