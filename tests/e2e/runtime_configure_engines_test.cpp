// The files `gpuhooks runtime configure` writes, read by the real engines: Debian's containerd 1.6.20 (`config dump`
// decodes the file, its imports included, as containerd does at start-up) and dockerd 20.10 (starts with the written
// daemon.json, whose runtime entry and default it then uses). Unit tests (tests/unit/cli_runtime_*) pin the text;
// these prove the engines take it.
#include <gtest/gtest.h>

#include <regex>

#include "common/config/toml_include.h"  // toml++, with a fix for its undefined behaviour
#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/docker.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr const char* kContainerd = "/usr/bin/containerd";
constexpr const char* kCri = "io.containerd.grpc.v1.cri";

// A hand-kept v2 file: a CRI setting of its own and a runc runtime with options the copy must carry.
constexpr const char* kMainV2 = R"(# edited by hand
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "example/pause:9"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
)";

// containerd's own view of a config file: `containerd --config FILE config dump`, parsed.
toml::table containerd_dump(const fs::path& config) {
  test::RunResult r = test::run(test::with_timeout(30, {kContainerd, "--config", config.string(), "config", "dump"}));
  if (r.exit_code != 0) throw std::runtime_error("containerd config dump failed: " + r.err);
  return toml::parse(r.out, std::string_view("containerd config dump"));
}

// containerd's major.minor ("containerd github.com/containerd/containerd 1.6.20~ds1 ..." -> 106).
int containerd_version() {
  test::RunResult r = test::run({kContainerd, "--version"});
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex(R"( v?(\d+)\.(\d+)\.)"))) return 0;
  return std::stoi(m[1]) * 100 + std::stoi(m[2]);
}

// CDI in the CRI plugin came with containerd 1.7; 1.6 decodes its config into a struct without the keys and drops
// them (accepting the file).
void expect_cdi_as_this_containerd_knows_it(const toml::table& dump) {
  if (containerd_version() >= 107) {
    EXPECT_EQ(dump["plugins"][kCri]["enable_cdi"].value<bool>(), true);
    EXPECT_EQ(dump["plugins"][kCri]["cdi_spec_dirs"][0].value<std::string>(), "/etc/cdi");
  } else {
    EXPECT_FALSE(dump["plugins"][kCri]["enable_cdi"]) << "containerd 1.6 knows no enable_cdi";
  }
}

class RuntimeConfigureContainerd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kContainerd)) GTEST_SKIP() << kContainerd << " is not installed (scripts/install-deps)";
    test::write_file(main_, kMainV2);
  }
  test::TempDir dir_;
  fs::path main_ = dir_ / "config.toml";
};

}  // namespace

TEST_F(RuntimeConfigureContainerd, ContainerdReadsTheWrittenVersion2File) {
  test::RunResult r =
      run_gpuhooks({"runtime", "configure", "--runtime", "containerd", "--config", main_.string(), "--drop-in-config",
                    "", "--cdi.enabled", "--nvidia-runtime-path", "/usr/bin/runc", "--set-as-default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const toml::table dump = containerd_dump(main_);
  auto cri = dump["plugins"][kCri];
  EXPECT_EQ(cri["sandbox_image"].value<std::string>(), "example/pause:9");
  EXPECT_EQ(cri["containerd"]["default_runtime_name"].value<std::string>(), "nvidia");
  EXPECT_EQ(cri["containerd"]["runtimes"]["nvidia"]["runtime_type"].value<std::string>(), "io.containerd.runc.v2");
  EXPECT_EQ(cri["containerd"]["runtimes"]["nvidia"]["options"]["BinaryName"].value<std::string>(), "/usr/bin/runc");
  EXPECT_EQ(cri["containerd"]["runtimes"]["nvidia"]["options"]["SystemdCgroup"].value<bool>(), true);
  expect_cdi_as_this_containerd_knows_it(dump);
}

// Through `imports`: containerd 1.6 lets the drop-in's CRI table replace the main file's, so the main file's own
// CRI setting (sandbox_image) must come through the drop-in's copy.
TEST_F(RuntimeConfigureContainerd, ContainerdReadsTheDropInThroughImports) {
  const fs::path drop_in = dir_ / "conf.d/99-nvidia.toml";
  test::RunResult r =
      run_gpuhooks({"runtime", "configure", "--runtime", "containerd", "--config", main_.string(), "--drop-in-config",
                    drop_in.string(), "--cdi.enabled", "--nvidia-runtime-path", "/usr/bin/runc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const toml::table dump = containerd_dump(main_);
  auto imports = dump["imports"].as_array();
  ASSERT_TRUE(imports);
  EXPECT_TRUE(std::any_of(imports->begin(), imports->end(),
                          [&](const toml::node& n) { return n.value<std::string>() == drop_in.string(); }))
      << "the glob " << (dir_ / "conf.d/*.toml") << " expands to the drop-in";
  auto cri = dump["plugins"][kCri];
  EXPECT_EQ(cri["sandbox_image"].value<std::string>(), "example/pause:9");
  EXPECT_EQ(cri["containerd"]["runtimes"]["nvidia"]["options"]["BinaryName"].value<std::string>(), "/usr/bin/runc");
  EXPECT_EQ(cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"].value<bool>(), true);
  expect_cdi_as_this_containerd_knows_it(dump);
}

// dockerd 20.10 validates daemon.json at start-up (unknown top-level keys, a default-runtime that no runtime
// defines, are fatal). `features` is a free map in 20.10, so `features.cdi` is accepted (and used from Docker 25 on).
// The runtime entry names runc, so a container run with it (as the default) really starts.
TEST(RuntimeConfigureDocker, Dockerd20StartsWithTheWrittenDaemonJsonAndUsesItsRuntime) {
  test::TempDir dir;
  const fs::path daemon_json = dir / "daemon.json";
  test::write_file(daemon_json, R"({"log-level": "info", "features": {"buildkit": false}})");
  test::RunResult r = run_gpuhooks({"runtime", "configure", "--config", daemon_json.string(), "--cdi.enabled",
                                    "--nvidia-runtime-path", "/usr/bin/runc", "--set-as-default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  Docker docker(daemon_json);
  test::RunResult info = docker.docker({"info", "--format", "{{.DefaultRuntime}} {{json .Runtimes.nvidia}}"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.out, "nvidia {\"path\":\"/usr/bin/runc\"}\n") << docker.log_tail();
  test::RunResult run = docker.run({}, "echo started");
  EXPECT_EQ(run.exit_code, 0) << run.err << docker.log_tail();
  EXPECT_EQ(run.out, "started\n");
}

}  // namespace gpuhooks::e2e
