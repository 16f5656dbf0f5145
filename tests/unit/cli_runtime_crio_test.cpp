// `gpuhooks runtime configure --runtime crio`: a runtime copied from CRI-O's default one into the drop-in (which
// CRI-O reads by itself, key by key over crio.conf), or into crio.conf with --drop-in-config "";
// `--config-mode oci-hook` writes the hooks.d file instead. Any error leaves every file as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/config/oci_hook_file.h"
#include "common/config/toml_include.h"  // toml++, with a fix for its undefined behaviour
#include "unit/cli_runtime_fixture.h"

using namespace gpuhooks::test;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

constexpr const char* kCrioConf = R"(# crio.conf as the package ships it, edited
[crio]
log_dir = "/var/log/crio/pods"  # unknown to gpuhooks

[crio.runtime]
default_runtime = "crun"
conmon_cgroup = "pod"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/bin/crun"
runtime_type = "oci"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"

[crio.runtime.runtimes.nvidia]
runtime_path = "/old/nvidia-container-runtime"
stale_key = "x"
)";

class CliRuntimeCrio : public TomlRuntimeTest {
 protected:
  CliRuntimeCrio() : TomlRuntimeTest("crio", "crio.conf", "crio.conf.d/99-nvidia.toml") {}
};

}  // namespace

TEST_F(CliRuntimeCrio, TheDropInGetsARuntimeCopiedFromTheDefaultAndCrioConfStaysAsItWas) {
  write_file(main_, kCrioConf);
  RunResult r = configure_drop_in({"--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(main_), kCrioConf);  // only read: its comments stay, and no warning says otherwise
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("comments")));
  EXPECT_THAT(messages(r.err), Contains("info: CRI-O has CDI on always (spec dirs /etc/cdi, /var/run/cdi): "
                                        "--cdi.enabled sets nothing"));
  EXPECT_EQ(read_file(drop_in_), R"([crio.runtime.runtimes.nvidia]
monitor_path = '/usr/libexec/crio/conmon'
runtime_path = '/usr/bin/nvidia-container-runtime'
runtime_root = '/run/crun'
runtime_type = 'oci'
)");
}

TEST_F(CliRuntimeCrio, WithoutADropInCrioConfIsRewrittenKeepingItsKeys) {
  write_file(main_, kCrioConf);
  RunResult r = configure({"--drop-in-config", "", "--set-as-default", "--runtime-path", "/usr/bin/runc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(messages(r.err), Contains("warning: " + main_.string() +
                                        ": its comments are not kept (toml++ writes TOML without comments)"));
  toml::table t = parse(main_);
  EXPECT_EQ(t["crio"]["log_dir"].value<std::string>(), "/var/log/crio/pods");
  EXPECT_EQ(t["crio"]["runtime"]["conmon_cgroup"].value<std::string>(), "pod");
  EXPECT_EQ(t["crio"]["runtime"]["default_runtime"].value<std::string>(), "nvidia");
  // The old nvidia entry is replaced by a copy of crun's, not merged with it.
  auto nvidia = t["crio"]["runtime"]["runtimes"]["nvidia"];
  EXPECT_FALSE(nvidia["stale_key"]);
  EXPECT_EQ(nvidia["runtime_path"].value<std::string>(), "/usr/bin/runc");
  EXPECT_EQ(nvidia["runtime_root"].value<std::string>(), "/run/crun");
  EXPECT_EQ(t["crio"]["runtime"]["runtimes"]["crun"]["runtime_path"].value<std::string>(), "/usr/bin/crun");

  // Not asked to be the default again: it stops being it.
  ASSERT_EQ(configure({"--drop-in-config", ""}).exit_code, 0);
  EXPECT_FALSE(parse(main_)["crio"]["runtime"]["default_runtime"]);
}

TEST_F(CliRuntimeCrio, AMissingOrEmptyCrioConfGivesAPlainRuntime) {
  RunResult r = configure_drop_in({"--set-as-default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(main_));
  EXPECT_EQ(read_file(drop_in_), R"([crio.runtime]
default_runtime = 'nvidia'

    [crio.runtime.runtimes.nvidia]
    runtime_path = '/usr/bin/nvidia-container-runtime'
    runtime_type = 'oci'
)");
  write_file(main_, "");
  r = configure({"--drop-in-config", ""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      read_file(main_),
      "[crio.runtime.runtimes.nvidia]\nruntime_path = '/usr/bin/nvidia-container-runtime'\nruntime_type = 'oci'\n");
}

TEST_F(CliRuntimeCrio, BrokenTomlIsOneLineNamingFileAndLineAndChangesNothing) {
  const std::string broken = "[crio.runtime]\ndefault_runtime = \"runc\n";
  write_file(main_, broken);
  RunResult r = configure_drop_in({});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(messages(r.err).size(), 1u) << r.err;
  EXPECT_THAT(messages(r.err)[0], HasSubstr("error: cannot parse " + main_.string() + " at line 2: "));
  EXPECT_EQ(read_file(main_), broken);
  EXPECT_FALSE(fs::exists(drop_in_.parent_path()));
}

TEST_F(CliRuntimeCrio, AReadOnlyDropInIsOneLineAndUntouched) {
  write_file(drop_in_, "[crio.runtime]\nlog_level = \"debug\"\n");
  ReadOnlyDir ro(drop_in_.parent_path());
  if (!ro.ok()) {
    GTEST_SKIP() << "read-only bind mount: " << ro.error();
  }
  RunResult r = configure_drop_in({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot create a temporary file beside " + drop_in_.string() +
                               ": Read-only file system\n"));
  EXPECT_EQ(read_file(drop_in_), "[crio.runtime]\nlog_level = \"debug\"\n");
}

TEST_F(CliRuntimeCrio, TheDropInKeepsItsKeysModeAndOwner) {
  write_file(drop_in_, "[crio.runtime]\nlog_level = \"debug\"\n");
  ASSERT_EQ(::chmod(drop_in_.c_str(), 0600), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(drop_in_.c_str(), 1234, 5678), 0);
  }
  const struct stat before = stat_of(drop_in_);
  ASSERT_EQ(configure_drop_in({}).exit_code, 0);
  const struct stat after = stat_of(drop_in_);
  EXPECT_EQ(parse(drop_in_)["crio"]["runtime"]["log_level"].value<std::string>(), "debug");
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
}

TEST_F(CliRuntimeCrio, DryRunPrintsTheDropInAndWritesNothing) {
  write_file(main_, kCrioConf);
  RunResult r = configure_drop_in({"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("[crio.runtime.runtimes.nvidia]\n"));
  EXPECT_FALSE(fs::exists(drop_in_.parent_path()));
  EXPECT_EQ(read_file(main_), kCrioConf);
}

TEST_F(CliRuntimeCrio, OciHookModeWritesTheHooksDFile) {
  const fs::path hook_file = dir_ / "hooks.d/oci-nvidia-hook.json";
  RunResult r = configure({"--config-mode", "oci-hook", "--oci-hook-path", hook_file.string(),
                           "--nvidia-runtime-hook-path", "/opt/gpuhooks/nvidia-container-runtime-hook"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // By default for every container, so that requests by env are served; said on stderr with the way back.
  EXPECT_EQ(read_file(hook_file), gpuhooks::config::oci_hook_file_json("/opt/gpuhooks/nvidia-container-runtime-hook",
                                                                       gpuhooks::config::HookWhen::Always));
  EXPECT_THAT(r.err, HasSubstr("every podman and CRI-O container now runs the prestart hook"));
  EXPECT_FALSE(fs::exists(main_));
  EXPECT_FALSE(fs::exists(dir_ / "crio.conf.d"));

  r = configure({"--config-mode", "oci-hook", "--oci-hook-path", hook_file.string(), "--oci-hook-when", "annotation"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(hook_file), gpuhooks::config::oci_hook_file_json("/usr/bin/nvidia-container-runtime-hook",
                                                                       gpuhooks::config::HookWhen::GpusAnnotation));

  r = runtime_configure(
      {"--runtime", "containerd", "--config-mode", "oci-hook", "--oci-hook-path", (dir_ / "x.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: --config-mode oci-hook is for --runtime crio (and podman, which "
                                           "reads the same hooks.d)"));
}

// The default path is the one folder CRI-O (its default hooks_dir) and podman both read; /etc/containers/oci/hooks.d
// is podman's alone.
TEST(CliRuntimeOciHookFile, ConfigureWritesWhereCrioAndPodmanBothLookByDefault) {
  RunResult r = runtime_configure({"--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--oci-hook-path TEXT=/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json\n"));
  EXPECT_THAT(r.out, HasSubstr("--oci-hook-when TEXT:{always,annotation}=always\n"));
}

// The packaged file (packaging/oci-nvidia-hook.json) is the GpusAnnotation form, byte for byte: podman and CRI-O run
// the hook only in containers annotated nvidia.com/gpus, with any value.
TEST(CliRuntimeOciHookFile, ThePackagedFileMatchesOnlyTheGpusAnnotation) {
  const std::string packaged = read_file(fs::path(GPUHOOKS_SOURCE_DIR) / "packaging/oci-nvidia-hook.json");
  EXPECT_EQ(gpuhooks::config::oci_hook_file_json("/usr/bin/nvidia-container-runtime-hook",
                                                 gpuhooks::config::HookWhen::GpusAnnotation),
            packaged);
  EXPECT_EQ(nlohmann::json::parse(packaged)["when"],
            nlohmann::json::parse(R"({"annotations":{"^nvidia\\.com/gpus$":".*"}})"));
}

TEST(CliRuntimeOciHookFile, AlwaysMatchesEveryContainerAndExtraEnvFollowsPath) {
  EXPECT_EQ(gpuhooks::config::oci_hook_file_json("/usr/bin/nvidia-container-runtime-hook",
                                                 gpuhooks::config::HookWhen::Always, {"A=1"}),
            R"({
  "hook": {
    "args": [
      "nvidia-container-runtime-hook",
      "prestart"
    ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "A=1"
    ],
    "path": "/usr/bin/nvidia-container-runtime-hook"
  },
  "stages": [
    "prestart"
  ],
  "version": "1.0.0",
  "when": {
    "always": true
  }
}
)");
}
