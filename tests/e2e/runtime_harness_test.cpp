// The harness itself, against the real runtimes: what every other end-to-end test relies on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/podman.h"
#include "e2e/harness/runc.h"

namespace gpuhooks::e2e {
namespace {

TEST(RuncHarness, RunsTheBusyboxRootfsAndReturnsWhatTheContainerPrints) {
  Bundle b;
  b.shell("echo hello from $(hostname); exit 3");
  auto r = run_runc(b);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "hello from gpuhooks-e2e\n");
}

TEST(RuncHarness, DynamicallyLinkedProgramsRunInsideTheRootfs) {
  Bundle b;
  b.copy_in(dlopen_probe(), "/usr/bin/dlopen-probe");
  b.shell("dlopen-probe libm.so.6 nosuchsymbol 2>&1");
  auto r = run_runc(b);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "dlopen-probe: /lib/x86_64-linux-gnu/libm.so.6: undefined symbol: nosuchsymbol\n");
}

TEST(RuncHarness, EachBundleGetsAFreshRootfs) {
  {
    Bundle first;
    first.shell("echo changed > /etc/marker");
    ASSERT_EQ(run_runc(first).exit_code, 0);
  }
  Bundle second;
  second.shell("test -e /etc/marker && echo present || echo absent");
  EXPECT_EQ(run_runc(second).out, "absent\n");
}

TEST(RuncHarness, AHookWithEnvGetsExactlyThatEnvironment) {
  Bundle b;
  b.env("LD_PRELOAD=/nonexistent.so");
  b.hook(Stage::kCreateContainer, {"/bin/sh",
                                   {"sh", "-c", "env | grep -v '^PWD=' | sort > env.txt"},
                                   std::vector<std::string>{"NVIDIA_CTK_DEBUG=false"}});
  b.shell("cat /env.txt");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "NVIDIA_CTK_DEBUG=false\n");
}

TEST(RuncHarness, ADeviceNodeInLinuxDevicesAppearsAsACharDevice) {
  Bundle b;
  b.char_device("/dev/nvidia0", 195, 0);
  b.shell("stat -c '%F %t %T %a' /dev/nvidia0");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "character special file c3 0 666\n");
}

TEST(RuncHarness, AFailingHookStopsTheContainerWithRuncsHookError) {
  Bundle b;
  b.hook(Stage::kCreateContainer, {"/bin/false", {"false"}, std::vector<std::string>{}});
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error running hook"), std::string::npos) << r.err;
}

TEST(PodmanHarness, RunsTheImportedBusyboxImageWithPrivateStorage) {
  auto r = shared_podman().run({}, {"/bin/sh", "-c", "echo hello; head -n1 /etc/passwd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\nroot:x:0:0:root:/root:/bin/sh\n");
}

// podman 4.3's CDI support with our hook in a spec: the path the CDI tests build on (runtimes.md §2c).
TEST(PodmanHarness, ACdiSpecInEtcCdiAddsItsDeviceNodeEnvAndHook) {
  const std::string vendor = "e2e" + std::to_string(::getpid()) + ".gpuhooks.test";
  nlohmann::json spec = {
      {"cdiVersion", "0.5.0"},
      {"kind", vendor + "/gpu"},
      {"devices",
       {{{"name", "gpu0"},
         {"containerEdits",
          {{"env", {"SIMGPU_VISIBLE=gpu0"}},
           {"deviceNodes", {{{"path", "/dev/nvidia0"}, {"type", "c"}, {"major", 195}, {"minor", 0}}}}}}}}},
      {"containerEdits",
       {{"hooks",
         {{{"hookName", "createContainer"},
           {"path", test::built("nvidia-cdi-hook").string()},
           {"args", {"nvidia-cdi-hook", "create-symlinks", "--link", "libsimgpu.so.1::/usr/lib/libsimgpu.so"}},
           {"env", {"NVIDIA_CTK_DEBUG=false"}}}}}}}};
  InstalledCdiSpec installed(spec.dump());
  auto r = shared_podman().run(
      {"--device", vendor + "/gpu=gpu0"},
      {"/bin/sh", "-c", "echo $SIMGPU_VISIBLE; stat -c '%F %t:%T' /dev/nvidia0; readlink /usr/lib/libsimgpu.so"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "gpu0\ncharacter special file c3:0\nlibsimgpu.so.1\n");
}

}  // namespace
}  // namespace gpuhooks::e2e
