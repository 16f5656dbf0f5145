// The prestart hook against a hostile image (issue 12 §6): the image's environment never reaches the hook's
// processes, and links the image plants where the hook mounts or writes lead inside the root or are refused; the
// host stays exactly as it was. Every test attacks our hook through the real runc, on the simulated GPU host.
#include <gtest/gtest.h>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/prestart_config.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr const char* kPreloadMarker = "/tmp/gpuhooks-e2e-preload-marker";

// A host directory an image points its links at; it must stay empty.
fs::path make_decoy(const Bundle& b) {
  fs::path d = b.scratch("host-decoy");
  fs::create_directories(d);
  return d;
}

TEST(PrestartAttack, AnImagesLdPreloadIsLoadedByNoHookProcess) {
  const fs::path payload = preload_marker_library();
  fs::remove(kPreloadMarker);
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  b.copy_in(payload, "/preload-marker.so");
  // runc runs prestart hooks in the bundle dir: the image's env names the payload through the hook's cwd.
  b.env("LD_PRELOAD=/proc/self/cwd/rootfs/preload-marker.so");
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.write_in("/etc/ld.so.preload", "/preload-marker.so\n");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("ldconfig -p | grep -c 'libnvidia-ml.so.1 '");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");  // the hook did its work
  EXPECT_FALSE(fs::exists(kPreloadMarker)) << "a hook process loaded the image's library on the host";
  EXPECT_FALSE(fs::exists(b.host_path_of(kPreloadMarker))) << "a hook process loaded the image's library inside";
  fs::remove(kPreloadMarker);
}

// A link whose target the root lacks is refused, never created through (the in-root API's rule).
TEST(PrestartAttack, ADriverDirLinkedToAHostPathIsRefusedAndTheHostUntouched) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  const fs::path decoy = make_decoy(b);
  b.symlink_in(decoy.string(), "/usr/local/nvidia");
  auto r = run_refused_start(b, config, "0");
  EXPECT_NE(r.err.find("/usr/local/nvidia in container root " + b.rootfs().string() +
                       ": it is a symlink whose target does not exist inside the container root"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_empty(decoy)) << "the hook wrote into the host directory the image linked to";
}

TEST(PrestartAttack, ALdSoConfDirLinkedToAHostPathIsRefusedAndTheHostUntouched) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  const fs::path decoy = make_decoy(b);
  fs::remove_all(b.host_path_of("/etc/ld.so.conf.d"));
  b.symlink_in(decoy.string(), "/etc/ld.so.conf.d");
  auto r = run_refused_start(b, config, "0");
  EXPECT_NE(r.err.find("/etc/ld.so.conf.d in the container root is a symlink to " + decoy.string() +
                       "; refusing to follow it"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_empty(decoy));
}

TEST(PrestartAttack, ADriverFileNameLinkedToAHostFileIsNeitherMountedOverNorFollowed) {
  const auto& host = shared_simulated_host(1);
  PrestartConfig config(host, "legacy");
  Bundle b;
  const fs::path decoy = make_decoy(b) / "file";
  test::write_file(decoy, "host file\n");
  fs::create_directories(b.host_path_of("/usr/local/nvidia/lib64"));
  b.symlink_in(decoy.string(), "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04");
  b.env("NVIDIA_VISIBLE_DEVICES=0");
  b.hook(Stage::kPrestart, prestart_hook(config));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04 in the container is a symlink; refusing"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(test::read_file(decoy), "host file\n");
}

}  // namespace
}  // namespace gpuhooks::e2e
