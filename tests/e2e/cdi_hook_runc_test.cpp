// nvidia-cdi-hook under the real runc: each subcommand as a createContainer hook exactly as a CDI spec emits it,
// and what the container process itself sees afterwards.
#include <gtest/gtest.h>

#include <algorithm>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/runc.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

// A shell hook from the test itself (runc's createContainer stage, container mount namespace, before pivot_root).
Hook shell_hook(const std::string& script) {
  return {"/bin/sh", {"sh", "-c", script}, std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}};
}

// ---- create-symlinks --------------------------------------------------------------------------------------------

TEST(CreateSymlinks, LinksResolveInsideTheContainer) {
  Bundle b;
  b.hook(Stage::kCreateContainer,
         cdi_hook("create-symlinks", {"--link", "/etc/passwd::/etc/passwd-link", "--link",
                                      "libsimgpu.so.550.1::/usr/lib/x86_64-linux-gnu/libsimgpu.so.1"}));
  b.shell("readlink /etc/passwd-link; head -n1 /etc/passwd-link; readlink /usr/lib/x86_64-linux-gnu/libsimgpu.so.1");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/etc/passwd\nroot:x:0:0:root:/root:/bin/sh\nlibsimgpu.so.550.1\n");
}

TEST(CreateSymlinks, MissingParentDirectoriesAreCreatedInsideTheRoot) {
  Bundle b;
  b.hook(Stage::kCreateContainer,
         cdi_hook("create-symlinks", {"--link", "/dev/dri/card1::/usr/share/gpu/by-path/pci-card"}));
  b.shell("readlink /usr/share/gpu/by-path/pci-card; stat -c '%F %a' /usr/share/gpu/by-path");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/dev/dri/card1\ndirectory 755\n");
}

TEST(CreateSymlinks, ASecondHookWithTheSameLinksInTheSameRunChangesNothing) {
  Bundle b;
  const std::string inode_file = (b.scratch("record") / "inode").string();
  auto links = cdi_hook("create-symlinks", {"--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"});
  b.hook(Stage::kCreateContainer, links);
  b.hook(
      Stage::kCreateContainer,
      shell_hook("stat -c %i " + b.host_path_of("/usr/lib/x86_64-linux-gnu/libcuda.so").string() + " > " + inode_file));
  b.hook(Stage::kCreateContainer, links);
  b.shell(
      "readlink /usr/lib/x86_64-linux-gnu/libcuda.so; stat -c %i /usr/lib/x86_64-linux-gnu/libcuda.so; "
      "ls -A /usr/lib/x86_64-linux-gnu");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Same inode: the second hook found the link in place and left it alone; no temporary names left behind.
  EXPECT_EQ(r.out, "libcuda.so.1\n" + test::read_file(inode_file) + "libcuda.so\n");
}

TEST(CreateSymlinks, ALinkWhoseParentIsASymlinkToAHostPathLandsInsideTheRoot) {
  Bundle b;
  const fs::path host_dir = b.scratch("host-lib-dir");
  b.symlink_in(host_dir.string(), "/usr/lib/hostlink");
  fs::create_directories(b.host_path_of(host_dir.string()));  // the same path inside the image: the link's real place
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--link", "libfoo.so.1::/usr/lib/hostlink/libfoo.so"}));
  b.shell("readlink /usr/lib/hostlink/libfoo.so");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "libfoo.so.1\n");
  EXPECT_TRUE(fs::is_empty(host_dir)) << "the link was made on the host";
  EXPECT_EQ(fs::read_symlink(b.host_path_of(host_dir.string() + "/libfoo.so")), "libfoo.so.1");
}

TEST(CreateSymlinks, ALinkWhoseParentIsADanglingSymlinkToAHostPathIsRefused) {
  Bundle b;
  const fs::path host_dir = b.scratch("host-lib-dir");
  b.symlink_in(host_dir.string(), "/usr/lib/hostlink");
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--link", "libfoo.so.1::/usr/lib/hostlink/libfoo.so"}));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("create-symlinks: failed to create directory /usr/lib/hostlink in container root " +
                       b.rootfs().string() + ": it is a symlink whose target does not exist inside the container root"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_empty(host_dir)) << "the link was made on the host";
}

TEST(CreateSymlinks, TheNvidiaCtkHookFormCreatesTheSameLinks) {
  Bundle b;
  const fs::path ctk = b.scratch("bin") / "nvidia-ctk";
  fs::create_symlink(test::built("nvidia-cdi-hook"), ctk);
  b.hook(Stage::kCreateContainer, {ctk.string(),
                                   {"nvidia-ctk", "hook", "create-symlinks", "--link", "/a::/b/c"},
                                   std::vector<std::string>{"NVIDIA_CTK_DEBUG=false"}});
  b.shell("readlink /b/c");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/a\n");
}

// ---- update-ldcache ---------------------------------------------------------------------------------------------

// The driver's libraries bind-mounted read-only, as a CDI spec mounts them, with dlopen-probe to load them by soname.
void add_simgpu_driver(Bundle& b) {
  b.bind_mount(make_simgpu_driver_dir(b.scratch("host")), "/usr/lib/simgpu", true);
  b.copy_in(dlopen_probe(), "/usr/bin/dlopen-probe");
}

TEST(UpdateLdcache, WithoutTheHookTheContainerCannotLoadTheLibraryBySoname) {
  Bundle b;
  add_simgpu_driver(b);
  b.shell("dlopen-probe libsimgpu.so.1 simgpu_driver_version 2>&1");
  auto r = run_runc(b);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "dlopen-probe: libsimgpu.so.1: cannot open shared object file: No such file or directory\n");
}

TEST(UpdateLdcache, TheContainerLoadsTheInjectedLibraryBySoname) {
  Bundle b;
  add_simgpu_driver(b);
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("ldconfig -p | grep libsimgpu; dlopen-probe libsimgpu.so.1 simgpu_driver_version");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "\tlibsimgpu.so.1 (libc6,x86-64) => /usr/lib/simgpu/libsimgpu.so.1\n"
            "/usr/lib/simgpu/libsimgpu.so.1: 550.1\n");
}

TEST(UpdateLdcache, TheFolderGoesIntoADropInAndAMissingLdSoConfIsCreated) {
  Bundle b;
  add_simgpu_driver(b);
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("cat /etc/ld.so.conf; cat /etc/ld.so.conf.d/00-nvcr-*.conf; ls /etc/ld.so.conf.d | sed 's/[0-9]*\\.conf$//'");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "include /etc/ld.so.conf.d/*.conf\n/usr/lib/simgpu\n00-nvcr-\nzz-nvcr-\n");
}

// docker start / podman restart run the createContainer hooks again on the same root: the reference adds another
// zz-nvcr drop-in on every start; ours are reused, and the library still loads.
TEST(UpdateLdcache, StartingTheSameRootAgainAddsNoDropIns) {
  Bundle b;
  add_simgpu_driver(b);
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("ls /etc/ld.so.conf.d | sed 's/[0-9]*\\.conf$//'; dlopen-probe libsimgpu.so.1 simgpu_driver_version");
  for (int start = 1; start <= 3; ++start) {
    auto r = run_runc(b);
    ASSERT_EQ(r.exit_code, 0) << "start " << start << ": " << r.err;
    EXPECT_EQ(r.out, "00-nvcr-\nzz-nvcr-\n/usr/lib/simgpu/libsimgpu.so.1: 550.1\n") << "start " << start;
  }
}

TEST(UpdateLdcache, LeavesNoScratchDirectoryInTheRootfs) {
  Bundle b;
  add_simgpu_driver(b);
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("ls -A /run; echo end");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "end\n");
}

// ---- disable-device-node-modification ---------------------------------------------------------------------------

// This machine has no NVIDIA driver, so the container's procfs has no /proc/driver/nvidia. A hook from the test,
// run just before ours in the container's mount namespace, puts a tmpfs with the driver's params file there, as
// the driver would show it; the host's params come from --host-params-path.
const char* const kDriverParams =
    "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\nDeviceFileMode: 438\n";

// The container's /proc/driver/nvidia/params as the driver shows it (a tmpfs made by an earlier hook: the test host
// has no driver), and the hook reading the host's params from a file holding `host_params`.
void with_driver_params(Bundle& b, const std::string& host_params) {
  const fs::path host_file = b.scratch("host") / "params";
  test::write_file(host_file, host_params);
  const std::string dir = b.host_path_of("/proc/driver").string();
  b.hook(Stage::kCreateContainer,
         shell_hook("mount -t tmpfs -o size=64k gpuhooks-e2e-driver " + dir + " && mkdir " + dir +
                    "/nvidia && printf '" + std::string(kDriverParams) + "' > " + dir + "/nvidia/params"));
  b.hook(Stage::kCreateContainer,
         cdi_hook("disable-device-node-modification", {"--host-params-path", host_file.string()}));
}

TEST(DisableDeviceNodeModification, TheContainerSeesModifyDeviceFilesZero) {
  Bundle b;
  with_driver_params(b, kDriverParams);
  b.shell("cat /proc/driver/nvidia/params");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 0\nDeviceFileUID: 0\nDeviceFileMode: 438\n");
}

TEST(DisableDeviceNodeModification, TheReplacedParamsFileIsReadOnlyInTheContainer) {
  Bundle b;
  with_driver_params(b, kDriverParams);
  b.shell(
      "echo 'ModifyDeviceFiles: 1' > /proc/driver/nvidia/params || echo refused; grep Modify "
      "/proc/driver/nvidia/params");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "refused\nModifyDeviceFiles: 0\n");
}

TEST(DisableDeviceNodeModification, HostParamsAlreadyAtZeroLeaveTheContainerAlone) {
  Bundle b;
  with_driver_params(b, "ModifyDeviceFiles: 0\n");
  b.shell("grep Modify /proc/driver/nvidia/params");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ModifyDeviceFiles: 1\n");  // what the driver showed; the hook had nothing to do
}

// ---- update-application-profile ---------------------------------------------------------------------------------

TEST(UpdateApplicationProfile, TheProfileNamesTheMinorsOfTheContainersGpus) {
  Bundle b;
  b.char_device("/dev/nvidia0", 195, 0).char_device("/dev/nvidia3", 195, 3).char_device("/dev/nvidiactl", 195, 255);
  b.hook(Stage::kCreateContainer, cdi_hook("update-application-profile"));
  b.shell("cat /etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",0x9]}],)"
                   R"("rules":[{"pattern":[],"profile":"_container_"}]})");
}

TEST(UpdateApplicationProfile, WithoutGpuDeviceNodesNoProfileIsWritten) {
  Bundle b;
  b.char_device("/dev/nvidiactl", 195, 255);
  b.hook(Stage::kCreateContainer, cdi_hook("update-application-profile"));
  b.shell("test -e /etc/nvidia && echo present || echo absent");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "absent\n");
}

// ---- enable-cuda-compat -----------------------------------------------------------------------------------------

TEST(EnableCudaCompat, ANewerCompatLibraryInTheImageGoesIntoTheLinkerConfig) {
  Bundle b;
  b.copy_in(make_simgpu_driver_dir(b.scratch("host")) / kSimgpuFile, "/usr/local/cuda/compat/libcuda.so.999.1");
  b.hook(Stage::kCreateContainer, cdi_hook("enable-cuda-compat", {"--host-driver-version=550.1"}));
  b.shell("cat /etc/ld.so.conf.d/00-compat-*.conf");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/usr/local/cuda/compat\n");
}

// ---- unknown and placeholder hooks ------------------------------------------------------------------------------

// runc shows a hook's stderr only when the hook fails, so the warning itself is checked by running the binary.
TEST(UnknownHooks, AnUnknownSubcommandLetsTheContainerStart) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("some-future-hook", {"--with-a-flag", "value"}));
  b.shell("echo started");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "started\n");
}

TEST(UnknownHooks, AnUnknownSubcommandIsOneWarningAndExitZero) {
  auto r = test::run({test::built("nvidia-cdi-hook").string(), "some-future-hook", "--with-a-flag", "value"}, "",
                     {"NVIDIA_CTK_DEBUG=false"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("nvidia-cdi-hook warning: Unsupported CDI hook: some-future-hook\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(UnknownHooks, TheNoopHookLetsTheContainerStart) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("noop"));
  b.shell("echo started");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "started\n");
}

}  // namespace
}  // namespace gpuhooks::e2e
