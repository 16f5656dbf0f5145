// `gpuhooks runtime configure --runtime docker`: daemon.json merged with every existing key in its order, written
// with a 4-space indent; `features.cdi` for CDI; a runtime entry only when the admin names its binary (gpuhooks ships
// no nvidia-container-runtime). Any error leaves the file byte for byte as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "unit/cli_runtime_fixture.h"

using namespace gpuhooks::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class CliRuntimeDocker : public ::testing::Test {
 protected:
  RunResult configure(std::vector<std::string> args) {
    args.insert(args.begin(), {"--runtime", "docker", "--config", file_.string()});
    return runtime_configure(args);
  }
  TempDir dir_;
  std::filesystem::path file_ = dir_ / "daemon.json";
};

// Keys the engine knows, keys it does not, nested objects and an existing runtime: all kept, in their order.
constexpr const char* kExisting = R"({
  "log-level": "warn",
  "x-unknown": {"b": 1, "a": [2, 1]},
  "features": {"buildkit": true},
  "runtimes": {"custom": {"path": "/usr/bin/custom", "runtimeArgs": ["--x"]}},
  "exec-opts": ["native.cgroupdriver=cgroupfs"]
})";

}  // namespace

TEST_F(CliRuntimeDocker, CdiAndARuntimeMergeIntoTheFileKeepingEveryKeyInItsOrder) {
  write_file(file_, kExisting);
  RunResult r = configure({"--cdi.enabled", "--nvidia-runtime-path", "/usr/bin/runc", "--set-as-default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_file(file_), R"({
    "log-level": "warn",
    "x-unknown": {
        "b": 1,
        "a": [
            2,
            1
        ]
    },
    "features": {
        "buildkit": true,
        "cdi": true
    },
    "runtimes": {
        "custom": {
            "path": "/usr/bin/custom",
            "runtimeArgs": [
                "--x"
            ]
        },
        "nvidia": {
            "args": [],
            "path": "/usr/bin/runc"
        }
    },
    "exec-opts": [
        "native.cgroupdriver=cgroupfs"
    ],
    "default-runtime": "nvidia"
}
)");
}

TEST_F(CliRuntimeDocker, WithoutARuntimePathOnlyCdiIsWritten) {
  write_file(file_, R"({"log-level": "warn"})");
  RunResult r = configure({"--enable-cdi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(file_),
            "{\n    \"log-level\": \"warn\",\n    \"features\": {\n        \"cdi\": true\n    }\n}\n");
}

TEST_F(CliRuntimeDocker, AnExistingNvidiaRuntimeIsReplacedWhole) {
  write_file(file_, R"({"runtimes": {"nvidia": {"path": "/old/nvidia-container-runtime", "runtimeArgs": ["-x"]}}})");
  RunResult r = configure({"--runtime-path", "/usr/bin/runc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(file_),
            "{\n    \"runtimes\": {\n        \"nvidia\": {\n            \"args\": [],\n            \"path\": "
            "\"/usr/bin/runc\"\n        }\n    }\n}\n");
}

TEST_F(CliRuntimeDocker, SetAsDefaultUsesAnExistingEntryOrNeedsAPath) {
  write_file(file_, R"({"runtimes": {"other": {"path": "/x"}}})");
  RunResult r = configure({"--nvidia-set-as-default"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot set nvidia as the default runtime: " + file_.string() +
                                           " has no runtimes.nvidia; give --nvidia-runtime-path (gpuhooks ships "
                                           "no nvidia-container-runtime)"));
  EXPECT_EQ(read_file(file_), R"({"runtimes": {"other": {"path": "/x"}}})");

  r = configure({"--set-as-default", "--nvidia-runtime-name", "other"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(file_),
            "{\n    \"runtimes\": {\n        \"other\": {\n            \"path\": \"/x\"\n        }\n    },\n"
            "    \"default-runtime\": \"other\"\n}\n");
}

TEST_F(CliRuntimeDocker, AnEmptyFileIsAnEmptyConfig) {
  write_file(file_, "\n  \n");
  RunResult r = configure({"--cdi.enable"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(file_), "{\n    \"features\": {\n        \"cdi\": true\n    }\n}\n");
}

TEST_F(CliRuntimeDocker, AMissingFileIsCreatedWithItsDirectories) {
  const auto file = dir_ / "etc/docker/daemon.json";
  RunResult r = runtime_configure({"--config", file.string(), "--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(file), "{\n    \"features\": {\n        \"cdi\": true\n    }\n}\n");
  EXPECT_EQ(stat_of(file).st_mode & 07777, 0644u);
}

TEST_F(CliRuntimeDocker, BrokenJsonIsOneLineNamingFileAndLineAndChangesNothing) {
  const std::string broken = "{\n  \"log-level\": \"warn\",\n  \"features\": {\"cdi\": tru}\n}\n";
  write_file(file_, broken);
  RunResult r = configure({"--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot parse " + file_.string() +
                                           " at line 3: syntax error while parsing value - invalid literal; last "
                                           "read: '\"cdi\": tru}'"));
  EXPECT_EQ(read_file(file_), broken);
}

TEST_F(CliRuntimeDocker, ADocumentThatIsNotAnObjectIsRefused) {
  write_file(file_, "[1]");
  RunResult r = configure({"--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot use " + file_.string() + ": not a JSON object"));
  write_file(file_, R"({"features": ["cdi"]})");
  r = configure({"--cdi.enabled"});
  EXPECT_THAT(messages(r.err),
              ElementsAre("error: cannot use " + file_.string() + ": \"features\" is not a JSON object"));
  EXPECT_EQ(read_file(file_), R"({"features": ["cdi"]})");
}

TEST_F(CliRuntimeDocker, AReadOnlyFileIsOneLineAndUntouched) {
  write_file(file_, kExisting);
  ReadOnlyDir ro(dir_.path());
  if (!ro.ok()) {
    GTEST_SKIP() << "read-only bind mount: " << ro.error();
  }
  RunResult r = configure({"--cdi.enabled"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err), ElementsAre("error: cannot create a temporary file beside " + file_.string() +
                                           ": Read-only file system"));
  EXPECT_EQ(read_file(file_), kExisting);
}

TEST_F(CliRuntimeDocker, ModeAndOwnerAreKept) {
  write_file(file_, kExisting);
  ASSERT_EQ(::chmod(file_.c_str(), 0600), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(file_.c_str(), 1234, 5678), 0);
  }
  const struct stat before = stat_of(file_);
  RunResult r = configure({"--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const struct stat after = stat_of(file_);
  EXPECT_NE(after.st_ino, before.st_ino);  // replaced by rename, not rewritten in place
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
}

TEST_F(CliRuntimeDocker, DryRunPrintsTheFileAndWritesNothing) {
  write_file(file_, R"({"log-level": "warn"})");
  RunResult r = configure({"--cdi.enabled", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\n    \"log-level\": \"warn\",\n    \"features\": {\n        \"cdi\": true\n    }\n}\n");
  EXPECT_EQ(read_file(file_), R"({"log-level": "warn"})");
  r = runtime_configure({"--config", (dir_ / "new/daemon.json").string(), "--cdi.enabled", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "new"));
}

TEST_F(CliRuntimeDocker, ADropInOrNothingToDoIsAnError) {
  RunResult r = configure({"--cdi.enabled", "--drop-in-config", (dir_ / "d.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(messages(r.err),
              ElementsAre("error: --drop-in-config is not supported for docker: daemon.json has no drop-ins"));
  r = configure({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: nothing to configure for docker: give --cdi.enabled"));
  EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(CliRuntimeDocker, ASymlinkedFileIsRewrittenWhereItPointsAndTheLinkStays) {
  const auto real = dir_ / "managed/daemon.json";
  write_file(real, R"({"log-level": "warn"})");
  std::filesystem::create_symlink(real, file_);
  RunResult r = configure({"--cdi.enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(file_));
  EXPECT_EQ(read_file(real), "{\n    \"log-level\": \"warn\",\n    \"features\": {\n        \"cdi\": true\n    }\n}\n");
}
