// nvidia-cdi-hook given bad input: through the real runc where runc can produce it (a read-only root, an invalid
// flag), and by running the binary directly with what runc never sends (broken state, missing config.json, a root
// of "/"). Every failure is exit 1 with one error line that names what was wrong, and leaves nothing half-done.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "e2e/harness/bundle.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/host_snapshot.h"
#include "e2e/harness/read_only_bind.h"
#include "e2e/harness/runc.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

const std::vector<std::string> kHookEnv = {"NVIDIA_CTK_DEBUG=false"};

test::RunResult run_hook(const std::vector<std::string>& args, const std::string& state) {
  std::vector<std::string> argv{test::built("nvidia-cdi-hook").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv, state, kHookEnv);
}

// Exactly one line on stderr, an error, containing `expected`.
void expect_one_error_line(const test::RunResult& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(" error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << "expected: " << expected << "\n   got: " << r.err;
}

std::string state_for(const fs::path& bundle) {
  return nlohmann::json{
      {"ociVersion", "1.0.2-dev"}, {"id", "bad-input"}, {"status", "creating"}, {"pid", 1}, {"bundle", bundle.string()}}
      .dump();
}

// ---- through runc -----------------------------------------------------------------------------------------------

// Runs the bundle with its rootfs bind-mounted read-only, and checks that the run printed nothing and left the
// rootfs as it was.
test::RunResult run_on_read_only_root(Bundle& b) {
  b.shell("echo started");
  b.write_config();
  const std::string before = describe_host_tree(b.rootfs());
  test::RunResult r;
  {
    ReadOnlyBind read_only(b.rootfs());
    r = run_runc(b);
  }
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(describe_host_tree(b.rootfs()), before);
  return r;
}

TEST(ReadOnlyRootfs, UpdateLdcacheFailsTheContainerWithOneClearLineAndWritesNothing) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("update-ldcache", {"--folder", "/usr/lib/simgpu"}));
  test::RunResult r = run_on_read_only_root(b);
  EXPECT_NE(r.err.find("update-ldcache: container root " + b.rootfs().string() +
                       " is read-only; cannot write its linker configuration (/etc/ld.so.conf.d)\\n\""),
            std::string::npos)
      << r.err;
}

TEST(ReadOnlyRootfs, CreateSymlinksFailsTheContainerNamingTheLink) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--link", "libcuda.so.1::/usr/lib/libcuda.so"}));
  test::RunResult r = run_on_read_only_root(b);
  EXPECT_NE(r.err.find("create-symlinks: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/usr/lib/libcuda.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

// root.readonly is applied by runc after the createContainer hooks (runtimes.md §1a): the hooks still write, the
// container cannot.
TEST(ReadOnlyRootfs, ARootMarkedReadOnlyInConfigIsStillWritableForCreateContainerHooks) {
  Bundle b;
  b.readonly_root(true);
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--link", "libcuda.so.1::/usr/lib/libcuda.so"}));
  b.shell("readlink /usr/lib/libcuda.so; touch /usr/lib/other 2>/dev/null || echo read-only");
  auto r = run_runc(b);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "libcuda.so.1\nread-only\n");
}

TEST(InvalidFlags, AnInvalidLinkSpecificationFailsBeforeAnyLinkIsMade) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--link", "/x::/first-link", "--link", "a::b::c"}));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("create-symlinks: invalid symlink specification a::b::c"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::symlink_status(b.host_path_of("/first-link"))));
}

TEST(InvalidFlags, AnUnknownFlagOfAKnownHookFailsTheContainer) {
  Bundle b;
  b.hook(Stage::kCreateContainer, cdi_hook("create-symlinks", {"--bogus"}));
  b.shell("echo started");
  auto r = run_runc(b);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("create-symlinks: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
}

// ---- the binary run directly --------------------------------------------------------------------------------------

TEST(BadState, StateThatIsNotJsonIsOneErrorLine) {
  auto r = run_hook({"create-symlinks", "--link", "/x::/y"}, "{not json");
  expect_one_error_line(r, "create-symlinks: failed to decode container state");
}

TEST(BadState, EmptyStateIsOneErrorLine) {
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, "");
  expect_one_error_line(r, "update-ldcache: failed to decode container state");
}

TEST(BadState, ABundleWithoutConfigJsonIsOneErrorLineNamingTheFile) {
  test::TempDir bundle;
  auto r = run_hook({"create-symlinks", "--link", "/x::/y"}, state_for(bundle.path()));
  expect_one_error_line(r, "create-symlinks: failed to load OCI spec \"" + (bundle / "config.json").string() + "\"");
  EXPECT_TRUE(fs::is_empty(bundle.path()));
}

// libstdc++'s stream said "basic_filebuf::underflow error reading the file: Is a directory", naming nothing.
TEST(BadState, AConfigJsonThatIsADirectoryIsOneErrorLineNamingTheFile) {
  test::TempDir bundle;
  fs::create_directory(bundle / "config.json");
  auto r = run_hook({"create-symlinks", "--link", "/x::/y"}, state_for(bundle.path()));
  expect_one_error_line(
      r, "create-symlinks: failed to load OCI spec \"" + (bundle / "config.json").string() + "\": is a directory");
  EXPECT_EQ(r.err.find("basic_filebuf"), std::string::npos) << r.err;
}

TEST(BadState, AConfigJsonThatIsAFifoIsOneErrorLineAndDoesNotHang) {
  test::TempDir bundle;
  ASSERT_EQ(::mkfifo((bundle / "config.json").c_str(), 0644), 0);
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, state_for(bundle.path()));
  expect_one_error_line(r, "config.json\": not a regular file");
}

TEST(BadState, ABundlePathWithANewlineGivesOneErrorLineWithThePathQuoted) {
  test::TempDir dir;
  const fs::path bundle = dir / "bundle\nerror: forged";
  fs::create_directory(bundle);
  auto r = run_hook({"create-symlinks", "--link", "/x::/y"}, state_for(bundle));
  expect_one_error_line(r, "failed to load OCI spec \"" + (dir / "bundle\\nerror: forged").string() + "/config.json\"");
}

TEST(BadState, ARootPathWithANewlineGivesOneErrorLineWithThePathQuoted) {
  test::TempDir bundle;
  test::write_file(bundle / "config.json", R"({"root":{"path":"root\nerror: forged"}})");
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, state_for(bundle.path()));
  expect_one_error_line(r, "\"" + (bundle / "root\\nerror: forged").string() + "\"");
}

TEST(BadState, AMissingRootDirectoryIsOneErrorLineNamingIt) {
  test::TempDir bundle;
  test::write_file(bundle / "config.json", R"({"root":{"path":"rootfs"}})");
  auto r = run_hook({"create-symlinks", "--link", "/x::/y"}, state_for(bundle.path()));
  expect_one_error_line(r, (bundle / "rootfs").string());
  EXPECT_FALSE(fs::exists(bundle / "rootfs"));
}

TEST(BadState, UpdateLdcacheRefusesTheHostRootAndLeavesTheHostCacheAlone) {
  test::TempDir bundle;
  test::write_file(bundle / "config.json", R"({"root":{"path":"/"}})");
  const std::string before = describe_host_tree("/etc/ld.so.cache") + describe_host_tree("/etc/ld.so.conf.d");
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, state_for(bundle.path()));
  expect_one_error_line(r, "update-ldcache: refusing to run on container root \"/\"");
  EXPECT_EQ(describe_host_tree("/etc/ld.so.cache") + describe_host_tree("/etc/ld.so.conf.d"), before);
}

// The string test alone let "/" through by another name: a bundle whose root is a symlink to "/" had update-ldcache
// write the host's /etc/ld.so.conf.d and run ldconfig over the host's cache.
TEST(BadState, UpdateLdcacheRefusesARootThatIsASymlinkToTheHostRoot) {
  test::TempDir bundle;
  fs::create_symlink("/", bundle / "rootfs");
  test::write_file(bundle / "config.json", R"({"root":{"path":"rootfs"}})");
  const std::string before = describe_host_tree("/etc/ld.so.cache") + describe_host_tree("/etc/ld.so.conf.d");
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, state_for(bundle.path()));
  expect_one_error_line(r, "update-ldcache: refusing to run on container root \"" + (bundle / "rootfs").string() +
                               "\": it is the host's root directory");
  EXPECT_EQ(describe_host_tree("/etc/ld.so.cache") + describe_host_tree("/etc/ld.so.conf.d"), before);
}

TEST(BadState, UpdateLdcacheRefusesARootThatIsTheHostRootThroughDotDot) {
  test::TempDir bundle;
  test::write_file(bundle / "config.json", R"({"root":{"path":"/.."}})");
  const std::string before = describe_host_tree("/etc/ld.so.conf.d");
  auto r = run_hook({"update-ldcache", "--folder", "/usr/lib/simgpu"}, state_for(bundle.path()));
  expect_one_error_line(r, "update-ldcache: refusing to run on container root");
  EXPECT_EQ(describe_host_tree("/etc/ld.so.conf.d"), before);
}

}  // namespace
}  // namespace gpuhooks::e2e
