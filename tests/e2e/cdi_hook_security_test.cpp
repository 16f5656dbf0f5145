// A hostile image against nvidia-cdi-hook under the real runc: each test plants what a known attack planted and
// checks that the host is exactly as before (nvidia-hooks.md §4). Host paths are decoy directories of the test;
// the host's own /etc/ld.so.cache and /etc/ld.so.conf.d are checked too where ldconfig is involved. The busybox image
// has no ld.so.cache, so update-ldcache here runs the host ldconfig; the same attacks on our cache writer (an image
// with a cache) are in cdi_hook_ldcache_writer_test.cpp.
#include <gtest/gtest.h>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/runc.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

Hook shell_hook(const std::string& script) {
  return {"/bin/sh", {"sh", "-c", script}, std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}};
}

// The host's linker state, which a hook that ran ldconfig in the wrong root would change.
std::string host_linker_state() {
  return describe_host_tree("/etc/ld.so.cache") + describe_host_tree("/etc/ld.so.conf") +
         describe_host_tree("/etc/ld.so.conf.d");
}

// A decoy host directory that an image points its symlinks at: a library, a config dir, a cache file.
fs::path make_decoy(const Bundle& b) {
  const fs::path d = b.scratch("host-decoy");
  fs::create_directories(d / "libdir");
  fs::copy_file(make_simgpu_driver_dir(b.scratch("decoy-build")) / kSimgpuFile, d / "libdir" / kSimgpuFile);
  return d;
}

TEST(CVE_2025_23266_NVIDIAScape, AnImagesLdPreloadIsLoadedByNoHook) {
  const fs::path payload = preload_marker_library();
  fs::remove(kPreloadMarker);
  // The payload works: any dynamically linked program that loads it leaves the marker.
  ASSERT_EQ(test::run({"/bin/true"}, "", {"LD_PRELOAD=" + payload.string()}).exit_code, 0);
  ASSERT_TRUE(fs::exists(kPreloadMarker)) << "the payload does not mark; this test would prove nothing";
  fs::remove(kPreloadMarker);

  Bundle b;
  // What the attack planted: the payload in the image, LD_PRELOAD in the image's env pointing at it through the
  // hook's cwd (runc runs createContainer hooks in the rootfs), and /etc/ld.so.preload for programs run in the root.
  b.copy_in(payload, "/preload-marker.so");
  b.env("LD_PRELOAD=/proc/self/cwd/preload-marker.so");
  b.write_in("/etc/ld.so.preload", "/preload-marker.so\n");
  b.bind_mount(make_simgpu_driver_dir(b.scratch("host")), "/usr/lib/simgpu", true);
  b.char_device("/dev/nvidia0", 195, 0);
  // Every subcommand, as a generated spec orders them (nvidia-hooks.md §1.10).
  b.hook(Stage::kCreateContainer,
         cdi_hook("create-symlinks", {"--link", "libsimgpu.so.1::/usr/lib/x86_64-linux-gnu/libsimgpu.so"}));
  b.hook(Stage::kCreateContainer, cdi_hook("enable-cuda-compat", {"--host-driver-version=550.1"}));
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.hook(Stage::kCreateContainer, cdi_hook("disable-device-node-modification"));
  b.hook(Stage::kCreateContainer, cdi_hook("update-application-profile"));
  b.hook(Stage::kCreateContainer, cdi_hook("chmod", {"--mode", "755", "--path", "/dev/nvidia0"}));
  b.hook(Stage::kCreateContainer, cdi_hook("noop"));
  // The container's own programs are static busybox and ldconfig: only a hook could load the payload.
  b.shell("readlink /usr/lib/x86_64-linux-gnu/libsimgpu.so; ldconfig -p | grep -c libsimgpu.so.1");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "libsimgpu.so.1\n1\n");  // the hooks did run
  EXPECT_FALSE(fs::exists(kPreloadMarker)) << "a hook loaded the image's library on the host:\n"
                                           << test::read_file(kPreloadMarker);
  EXPECT_FALSE(fs::exists(b.host_path_of(kPreloadMarker))) << "a hook loaded the image's library in the container:\n"
                                                           << test::read_file(b.host_path_of(kPreloadMarker));
  fs::remove(kPreloadMarker);
}

TEST(CVE_2025_23267_UpdateLdcache, ImageSymlinksToHostFilesChangeNothingOnTheHost) {
  Bundle b;
  const fs::path decoy = make_decoy(b);
  test::write_file(decoy / "ld.so.cache", "decoy cache\n");
  test::write_file(decoy / "ld.so.conf", "/decoy/lib\n");
  // The image points the cache, the main config and a library folder at host paths (absolute symlinks).
  b.symlink_in((decoy / "ld.so.cache").string(), "/etc/ld.so.cache");
  b.symlink_in((decoy / "ld.so.conf").string(), "/etc/ld.so.conf");
  b.symlink_in((decoy / "libdir").string(), "/usr/lib/simgpu");
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("ldconfig -p | grep -c libsimgpu; echo end");
  const std::string decoy_before = describe_host_tree(decoy), host_before = host_linker_state();
  auto r = run_runc(b);
  EXPECT_EQ(describe_host_tree(decoy), decoy_before);
  EXPECT_EQ(host_linker_state(), host_before);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\nend\n");  // the host's library is not in the container's cache
}

TEST(CVE_2025_23267_UpdateLdcache, AConfDirSymlinkedToTheHostIsRefused) {
  Bundle b;
  const fs::path decoy = make_decoy(b);
  test::write_file(decoy / "conf.d" / "host.conf", "/host/only\n");
  b.symlink_in((decoy / "conf.d").string(), "/etc/ld.so.conf.d");
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  b.shell("echo started");
  const std::string decoy_before = describe_host_tree(decoy), host_before = host_linker_state();
  auto r = run_runc(b);
  EXPECT_EQ(describe_host_tree(decoy), decoy_before);
  EXPECT_EQ(host_linker_state(), host_before);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("update-ldcache: /etc/ld.so.conf.d in the container root is a symlink to " +
                       (decoy / "conf.d").string() + "; refusing to follow it"),
            std::string::npos)
      << r.err;
}

TEST(CVE_2024_0133_CreateSymlinks, ImageSymlinksToTheHostCreateNothingOnTheHost) {
  Bundle b;
  const fs::path decoy = make_decoy(b);
  test::write_file(decoy / "host-file", "host\n");
  const std::string rel_decoy = decoy.relative_path().string();
  // An absolute parent link, a relative one that climbs past the root, and a final component that is a link to a
  // host file; their in-root counterparts exist, so the hook has somewhere legitimate to put the links.
  b.symlink_in(decoy.string(), "/usr/lib/x86_64-linux-gnu/nvidia");
  b.symlink_in("../../../../../../../../../../" + rel_decoy, "/usr/lib/escape");
  b.symlink_in((decoy / "host-file").string(), "/etc/host-file-link");
  fs::create_directories(b.host_path_of(decoy.string()));
  b.hook(Stage::kCreateContainer,
         cdi_hook("create-symlinks", {"--link", "libfoo.so.1::/usr/lib/x86_64-linux-gnu/nvidia/libfoo.so", "--link",
                                      "libbar.so.1::/usr/lib/escape/libbar.so", "--link", "/x::/etc/host-file-link"}));
  b.shell(
      "for l in /usr/lib/x86_64-linux-gnu/nvidia/libfoo.so /usr/lib/escape/libbar.so /etc/host-file-link; do readlink "
      "$l; done");
  const std::string before = describe_host_tree(decoy);
  auto r = run_runc(b);
  EXPECT_EQ(describe_host_tree(decoy), before);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "libfoo.so.1\nlibbar.so.1\n/x\n");
  EXPECT_EQ(fs::read_symlink(b.host_path_of(decoy.string() + "/libfoo.so")), "libfoo.so.1");
  EXPECT_EQ(fs::read_symlink(b.host_path_of(decoy.string() + "/libbar.so")), "libbar.so.1");
}

TEST(CVE_2024_0132_EnableCudaCompat, ACompatDirSymlinkedToTheHostIsNotUsed) {
  Bundle b;
  const fs::path decoy = make_decoy(b);
  fs::create_directories(decoy / "compat");
  fs::copy_file(decoy / "libdir" / kSimgpuFile, decoy / "compat/libcuda.so.999.1");
  b.symlink_in((decoy / "compat").string(), "/usr/local/cuda/compat");
  b.hook(Stage::kCreateContainer, cdi_hook("enable-cuda-compat", {"--host-driver-version=550.1"}));
  b.shell("ls -A /etc/ld.so.conf.d 2>&1; echo end");
  const std::string before = describe_host_tree(decoy);
  auto r = run_runc(b);
  EXPECT_EQ(describe_host_tree(decoy), before);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ls: /etc/ld.so.conf.d: No such file or directory\nend\n");
}

TEST(HostEscape, UpdateApplicationProfileThroughAnEtcSymlinkToTheHostWritesNothingThere) {
  Bundle b;
  const fs::path decoy = make_decoy(b);
  b.symlink_in(decoy.string(), "/etc/nvidia");
  b.char_device("/dev/nvidia0", 195, 0);
  b.hook(Stage::kCreateContainer, cdi_hook("update-application-profile"));
  b.shell("echo started");
  const std::string before = describe_host_tree(decoy);
  auto r = run_runc(b);
  EXPECT_EQ(describe_host_tree(decoy), before);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("update-application-profile: failed to create directory /etc/nvidia in container root " +
                       b.rootfs().string() + ": it is a symlink whose target does not exist inside the container root"),
            std::string::npos)
      << r.err;
}

TEST(HostEscape, DisableDeviceNodeModificationMountsNothingOnTheHost) {
  Bundle b;
  const fs::path params = b.scratch("host") / "params";
  test::write_file(params, "ModifyDeviceFiles: 1\n");
  const std::string dir = b.host_path_of("/proc/driver").string();
  b.hook(Stage::kCreateContainer, shell_hook("mount -t tmpfs gpuhooks-e2e-driver " + dir + " && mkdir " + dir +
                                             "/nvidia && echo 'ModifyDeviceFiles: 1' > " + dir + "/nvidia/params"));
  b.hook(Stage::kCreateContainer,
         cdi_hook("disable-device-node-modification", {"--host-params-path", params.string()}));
  b.shell("cat /proc/driver/nvidia/params");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ModifyDeviceFiles: 0\n");
  EXPECT_EQ(host_mounts_containing(b.dir().string()), "");
  EXPECT_EQ(host_mounts_containing("gpuhooks-e2e-driver"), "");
}

}  // namespace
}  // namespace gpuhooks::e2e
