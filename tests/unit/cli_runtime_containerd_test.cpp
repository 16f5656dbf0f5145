// `gpuhooks runtime configure --runtime containerd`: CDI in the CRI plugin of the file's config version and a runtime
// copied from the default one, in the drop-in that the main file imports (or in the main file with
// --drop-in-config ""). The drop-in carries the main file's whole CRI table, since containerd 1.x lets an imported
// plugin table replace the main one. Any error leaves every file as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/config/toml_include.h"  // toml++, with a fix for its undefined behaviour
#include "unit/cli_runtime_fixture.h"

using namespace gpuhooks::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

constexpr const char* kCri2 = "io.containerd.grpc.v1.cri";

// A v2 file as an admin keeps it: comments, an import of their own, keys gpuhooks does not know, a runc runtime
// with options and an old nvidia runtime.
constexpr const char* kMainV2 = R"(# containerd config, managed by hand
version = 2
imports = ["/etc/containerd/local.toml"]
oom_score = -999  # unknown to gpuhooks

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "example/pause:9"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
    runtime_type = "io.containerd.runc.v1"
    stale_key = 1
)";

class CliRuntimeContainerd : public TomlRuntimeTest {
 protected:
  CliRuntimeContainerd() : TomlRuntimeTest("containerd", "config.toml", "conf.d/99-nvidia.toml") {}
};

}  // namespace

TEST_F(CliRuntimeContainerd, TheDropInGetsTheSettingsAndTheMainFileImportsIt) {
  write_file(main_, kMainV2);
  RunResult r = configure_drop_in({"--cdi.enabled", "--nvidia-runtime-path", "/usr/bin/runc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  // The main file: its keys and the CRI table as they were, one import more; its comments are said to be lost.
  EXPECT_THAT(messages(r.err),
              ::testing::Contains("warning: " + main_.string() +
                                  ": its comments are not kept (toml++ writes TOML without comments)"));
  toml::table main = parse(main_);
  EXPECT_EQ(main["imports"].as_array()->size(), 2u);
  EXPECT_EQ(main["imports"][0].value<std::string>(), "/etc/containerd/local.toml");
  EXPECT_EQ(main["imports"][1].value<std::string>(), (dir_ / "conf.d/*.toml").string());
  EXPECT_EQ(main["oom_score"].value<int64_t>(), -999);
  EXPECT_FALSE(main["plugins"][kCri2]["enable_cdi"]);
  EXPECT_EQ(main["plugins"][kCri2]["containerd"]["runtimes"]["nvidia"]["stale_key"].value<int64_t>(), 1);

  EXPECT_EQ(read_file(drop_in_), R"(version = 2

[plugins.'io.containerd.grpc.v1.cri']
cdi_spec_dirs = [ '/etc/cdi', '/var/run/cdi' ]
enable_cdi = true
sandbox_image = 'example/pause:9'

    [plugins.'io.containerd.grpc.v1.cri'.containerd]
    default_runtime_name = 'runc'

        [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.nvidia]
        runtime_type = 'io.containerd.runc.v2'

            [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.nvidia.options]
            BinaryName = '/usr/bin/runc'
            SystemdCgroup = true

        [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'

            [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.runc.options]
            SystemdCgroup = true
)");
}

TEST_F(CliRuntimeContainerd, ASecondRunChangesNothing) {
  write_file(main_, kMainV2);
  ASSERT_EQ(configure_drop_in({"--cdi.enabled"}).exit_code, 0);
  const std::string main = read_file(main_), drop_in = read_file(drop_in_);
  RunResult r = configure_drop_in({"--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(main_), main);  // the import is not added twice
  EXPECT_EQ(read_file(drop_in_), drop_in);
  EXPECT_THAT(messages(r.err), ::testing::Contains("info: " + drop_in_.string() + " is already configured"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("restart containerd")));
}

TEST_F(CliRuntimeContainerd, TheRuntimeCopiesTheDefaultRuntimeAndCanBecomeTheDefault) {
  write_file(main_, R"(version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "crun"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  privileged_without_host_devices = true
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
  BinaryName = "/usr/bin/crun"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
)");
  RunResult r = configure({"--drop-in-config", "", "--set-as-default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  toml::table t = parse(main_);
  auto containerd = t["plugins"][kCri2]["containerd"];
  EXPECT_EQ(containerd["default_runtime_name"].value<std::string>(), "nvidia");
  EXPECT_EQ(containerd["runtimes"]["nvidia"]["privileged_without_host_devices"].value<bool>(), true);
  EXPECT_EQ(containerd["runtimes"]["nvidia"]["options"]["BinaryName"].value<std::string>(),
            "/usr/bin/nvidia-container-runtime");
  EXPECT_FALSE(t["plugins"][kCri2]["enable_cdi"]);  // not asked for

  // Run again without --set-as-default: nvidia stops being the default (and copies itself).
  r = configure({"--drop-in-config", ""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  t = parse(main_);
  EXPECT_FALSE(t["plugins"][kCri2]["containerd"]["default_runtime_name"]);
  EXPECT_EQ(t["plugins"][kCri2]["containerd"]["runtimes"]["nvidia"]["privileged_without_host_devices"].value<bool>(),
            true);
}

TEST_F(CliRuntimeContainerd, WithoutABaseRuntimeTheDefaultsOfTheReferenceAreUsed) {
  RunResult r = configure({"--drop-in-config", "", "--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(main_), R"(version = 2

[plugins.'io.containerd.grpc.v1.cri']
cdi_spec_dirs = [ '/etc/cdi', '/var/run/cdi' ]
enable_cdi = true

    [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.nvidia]
    privileged_without_host_devices = false
    runtime_engine = ''
    runtime_root = ''
    runtime_type = 'io.containerd.runc.v2'

        [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.nvidia.options]
        BinaryName = '/usr/bin/nvidia-container-runtime'
)");
  // The runtime binary gpuhooks does not ship is named in a warning.
  EXPECT_THAT(messages(r.err), ::testing::Contains("warning: runtime nvidia names /usr/bin/nvidia-container-runtime, "
                                                   "which is not an executable on this host (gpuhooks ships none)"));
}

TEST_F(CliRuntimeContainerd, TheCriPluginIsNamedByTheConfigVersion) {
  write_file(main_, "version = 3\n");
  ASSERT_EQ(configure({"--drop-in-config", "", "--cdi.enabled"}).exit_code, 0);
  toml::table t = parse(main_);
  EXPECT_EQ(t["plugins"]["io.containerd.cri.v1.runtime"]["enable_cdi"].value<bool>(), true);
  EXPECT_TRUE(t["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["nvidia"].is_table());

  // An existing file without `version` is version 1 (plugin "cri"), and stays without one.
  write_file(main_, "root = \"/var/lib/containerd\"\n");
  ASSERT_EQ(configure({"--drop-in-config", "", "--cdi.enabled"}).exit_code, 0);
  t = parse(main_);
  EXPECT_FALSE(t["version"]);
  EXPECT_EQ(t["plugins"]["cri"]["enable_cdi"].value<bool>(), true);
  EXPECT_EQ(t["root"].value<std::string>(), "/var/lib/containerd");

  write_file(main_, "version = 4\n");
  RunResult r = configure({"--drop-in-config", ""});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot use " + main_.string() + ": version must be 1, 2 or 3"));
}

TEST_F(CliRuntimeContainerd, AnEmptyOrMissingFileIsANewVersion2Config) {
  write_file(main_, "# only a comment\n\n");
  ASSERT_EQ(configure({"--drop-in-config", "", "--cdi.enabled"}).exit_code, 0);
  EXPECT_EQ(parse(main_)["version"].value<int64_t>(), 2);
  EXPECT_EQ(parse(main_)["plugins"][kCri2]["enable_cdi"].value<bool>(), true);

  // Missing main file and drop-in: both created, with their directories.
  const fs::path main = dir_ / "etc/containerd/config.toml", drop_in = dir_ / "etc/containerd/conf.d/99-nvidia.toml";
  RunResult r = runtime_configure(
      {"--runtime", "containerd", "--config", main.string(), "--drop-in-config", drop_in.string(), "--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(main), "imports = [ '" + (dir_ / "etc/containerd/conf.d/*.toml").string() + "' ]\nversion = 2\n");
  EXPECT_EQ(parse(drop_in)["plugins"][kCri2]["enable_cdi"].value<bool>(), true);
}

TEST_F(CliRuntimeContainerd, BrokenTomlIsOneLineNamingFileAndLineAndChangesNothing) {
  const std::string broken = "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\"\nenable_cdi = true\n";
  write_file(main_, broken);
  RunResult r = configure_drop_in({"--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot parse " + main_.string() +
                                           " at line 3: Error while parsing table header: expected ']', saw '\\n'"));
  EXPECT_EQ(read_file(main_), broken);
  EXPECT_FALSE(fs::exists(drop_in_.parent_path()));

  // A broken drop-in stops the run as well.
  write_file(main_, kMainV2);
  write_file(drop_in_, "version = = 2\n");
  r = configure_drop_in({"--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot parse " + drop_in_.string() + " at line 1: "));
  EXPECT_EQ(read_file(main_), kMainV2);
}

TEST_F(CliRuntimeContainerd, AKeyOfTheWrongTypeIsRefused) {
  write_file(main_, "version = 2\n[plugins]\n\"io.containerd.grpc.v1.cri\" = 5\n");
  RunResult r = configure({"--drop-in-config", ""});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err),
              ElementsAre("error: " + main_.string() + ": plugins.\"io.containerd.grpc.v1.cri\" is not a table"));
}

TEST_F(CliRuntimeContainerd, AReadOnlyMainFileLeavesBothFilesUntouched) {
  // The drop-in's directory is writable, the main file's is not: nothing is written, the drop-in not even staged.
  const fs::path ro_dir = dir_ / "ro", main = ro_dir / "config.toml";
  write_file(main, kMainV2);
  ReadOnlyDir ro(ro_dir);
  if (!ro.ok()) {
    GTEST_SKIP() << "read-only bind mount: " << ro.error();
  }
  RunResult r = runtime_configure(
      {"--runtime", "containerd", "--config", main.string(), "--drop-in-config", drop_in_.string(), "--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              HasSubstr("error: cannot create a temporary file beside " + main.string() + ": Read-only file system\n"));
  EXPECT_EQ(read_file(main), kMainV2);
  EXPECT_FALSE(fs::exists(drop_in_.parent_path()));
}

TEST_F(CliRuntimeContainerd, ModeAndOwnerAreKept) {
  write_file(main_, kMainV2);
  ASSERT_EQ(::chmod(main_.c_str(), 0640), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(main_.c_str(), 1234, 5678), 0);
  }
  const struct stat before = stat_of(main_);
  ASSERT_EQ(configure_drop_in({"--cdi.enabled"}).exit_code, 0);
  const struct stat after = stat_of(main_);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
}

TEST_F(CliRuntimeContainerd, DryRunPrintsBothFilesAndWritesNothing) {
  write_file(main_, "version = 2\n");
  RunResult r = configure_drop_in({"--cdi.enabled", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# " + drop_in_.string() + "\nversion = 2\n\n[plugins.'io.containerd.grpc.v1.cri']\n"));
  EXPECT_THAT(r.out, HasSubstr("# " + main_.string() + "\nimports = [ '" + (dir_ / "conf.d/*.toml").string() +
                               "' ]\nversion = 2\n"));
  EXPECT_EQ(read_file(main_), "version = 2\n");
  EXPECT_FALSE(fs::exists(drop_in_.parent_path()));
}

TEST_F(CliRuntimeContainerd, TheRuntimePathAndTheDropInMustBeAbsolute) {
  RunResult r = configure({"--nvidia-runtime-path", "bin/runtime"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err),
              ElementsAre("error: --nvidia-runtime-path must be an absolute path for containerd: \"bin/runtime\""));
  r = configure({"--drop-in-config", "conf.d/x.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: --drop-in-config must be an absolute path: \"conf.d/x.toml\""));
  EXPECT_FALSE(fs::exists(main_));
}
