// disable-device-node-modification (nvidia-hooks.md §1.6). The hook's mount is made in the namespace it runs in, so
// the binary tests run it under `unshare --mount --propagation private` and look at the result from the same shell.
// The host parameters come from the hidden test-only flag --host-params-path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "common/cdihooks/disable_device_node_modification.h"
#include "support/test_support.h"

using namespace gpuhooks;
using namespace gpuhooks::cdihook;
using gpuhooks::test::TempDir;
using ::testing::HasSubstr;

namespace {

const std::string kParams = "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\n";

std::string state_for(const std::filesystem::path& root) {
  return R"({"ociVersion":"1.0","id":"t","bundle":"/x","root":")" + root.string() + R"("})";
}

// Runs the hook in a private mount namespace, then `after` in the same namespace; returns the combined result.
test::RunResult run_hook_then(const std::filesystem::path& root, const std::filesystem::path& host_params,
                              const std::string& after) {
  const std::string script = test::built("nvidia-cdi-hook").string() +
                             " disable-device-node-modification --host-params-path " + host_params.string() + " && " +
                             after;
  return test::run({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script},
                   state_for(root));
}

std::set<std::string> tree(const std::filesystem::path& root) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    out.insert(std::filesystem::relative(e.path(), root).string());
  return out;
}

}  // namespace

TEST(DeviceNodeParams, ModifyDeviceFilesOneBecomesZeroAndOtherLinesStay) {
  EXPECT_EQ(params_without_device_modification(kParams),
            "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 0\nDeviceFileUID: 0\n");
}

TEST(DeviceNodeParams, AlreadyZeroNeedsNoChange) {
  EXPECT_FALSE(params_without_device_modification("ModifyDeviceFiles: 0\nModifyDeviceFiles: 1\n"));
}

TEST(DeviceNodeParams, OnlyExactLinesCount) {
  EXPECT_FALSE(
      params_without_device_modification(" ModifyDeviceFiles: 1\nModifyDeviceFiles: 1 \nModifyDeviceFiles: 2\n"));
  EXPECT_FALSE(params_without_device_modification(""));
}

TEST(DeviceNodeParams, LastLineWithoutNewlineGetsOne) {
  EXPECT_EQ(params_without_device_modification("A: 1\nModifyDeviceFiles: 1"), "A: 1\nModifyDeviceFiles: 0\n");
}

TEST(DisableDeviceNodeModification, ContainerSeesModifyDeviceFilesZeroReadOnly) {
  TempDir root, host;
  test::write_file(host / "params", kParams);
  test::write_file(root / "proc/driver/nvidia/params", kParams);
  const std::string target = (root / "proc/driver/nvidia/params").string();
  auto r = run_hook_then(root.path(), host / "params",
                         "cat " + target + " && (echo x >> " + target + " 2>/dev/null && echo writable || echo ro)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 0\nDeviceFileUID: 0\nro\n");
}

TEST(DisableDeviceNodeModification, NothingIsLeftInTheRootfsAndNothingLeaksOut) {
  TempDir root, host;
  test::write_file(host / "params", kParams);
  test::write_file(root / "proc/driver/nvidia/params", kParams);
  auto before = tree(root.path());
  auto r = run_hook_then(root.path(), host / "params", "find " + root.path().string() + " | sort");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(tree(root.path()), before);
  EXPECT_EQ(r.out, root.path().string() + "\n" + root.path().string() + "/proc\n" + root.path().string() +
                       "/proc/driver\n" + root.path().string() + "/proc/driver/nvidia\n" + root.path().string() +
                       "/proc/driver/nvidia/params\n");
  EXPECT_EQ(test::read_file(root / "proc/driver/nvidia/params"), kParams);  // the caller's namespace is untouched
}

TEST(DisableDeviceNodeModification, MissingHostParamsIsANoOpWithoutReadingTheState) {
  auto r = test::run({test::built("nvidia-cdi-hook").string(), "disable-device-node-modification", "--host-params-path",
                      "/nonexistent/params"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(DisableDeviceNodeModification, HostAlreadyAtZeroMountsNothing) {
  TempDir root, host;
  test::write_file(host / "params", "ModifyDeviceFiles: 0\n");
  test::write_file(root / "proc/driver/nvidia/params", "original\n");
  auto r = run_hook_then(root.path(), host / "params", "cat " + (root / "proc/driver/nvidia/params").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "original\n");
}

TEST(DisableDeviceNodeModification, MissingTargetInTheContainerIsAnError) {
  TempDir root, host;
  test::write_file(host / "params", kParams);
  auto r = run_hook_then(root.path(), host / "params", "true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("failed to open /proc/driver/nvidia/params in container root " + root.path().string()));
}
