// Which config.toml the hook reads and how a bad file is reported (nvidia-hooks.md §2.2). The environment is a fake
// getenv; /etc/nvidia-container-runtime/config.toml is never created, so precedence is shown through XDG.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "common/config/hook_config.h"
#include "support/test_support.h"

using gpuhooks::config::HookConfig;
using gpuhooks::config::load_hook_config;
using gpuhooks::test::error_of;
using gpuhooks::test::TempDir;
using gpuhooks::test::write_file;

// A hook environment: load() sees only these variables. Outside an anonymous namespace because TEST_F derives
// from it, which GCC warns about when the unity build includes this file.
class ConfigHookFile : public ::testing::Test {
 protected:
  HookConfig load(const std::string& flag = "") {
    return load_hook_config(flag, [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
  }
  std::string load_error(const std::string& flag = "") {
    return error_of([&] { load(flag); });
  }
  // A config file whose user name tells which one was read.
  std::string config_named(const std::string& rel, const std::string& who) {
    write_file(dir_ / rel, "[nvidia-container-cli]\nuser = \"" + who + "\"\n");
    return (dir_ / rel).string();
  }
  std::string xdg_file() { return (dir_ / "xdg/nvidia-container-runtime/config.toml").string(); }

  TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigHookFile, TheFlagWinsOverEnvAndXdg) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  env_["NVIDIA_CTK_CONFIG_FILE_PATH"] = config_named("env.toml", "env");
  std::string flag = config_named("flag.toml", "flag");
  HookConfig c = load(flag);
  EXPECT_EQ(c.cli.user, "flag");
  EXPECT_EQ(c.source, flag);
}

TEST_F(ConfigHookFile, TheEnvWinsOverXdg) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  env_["NVIDIA_CTK_CONFIG_FILE_PATH"] = config_named("env.toml", "env");
  EXPECT_EQ(load().cli.user, "env");
}

TEST_F(ConfigHookFile, XdgIsReadWithoutFlagOrEnv) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  HookConfig c = load();
  EXPECT_EQ(c.cli.user, "xdg");
  EXPECT_EQ(c.source, xdg_file());
}

TEST_F(ConfigHookFile, ATrailingSlashInXdgAddsNoSecondSlash) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string() + "/";
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  EXPECT_EQ(load().source, xdg_file());
}

TEST_F(ConfigHookFile, AMissingXdgFileGivesTheDefaultsWithoutLookingInEtc) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  HookConfig c = load();
  EXPECT_EQ(c.source, "");
  EXPECT_EQ(c.cli.user, "");
  EXPECT_EQ(c.mode, "auto");
}

TEST_F(ConfigHookFile, EmptyVariablesCountAsUnset) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  env_["NVIDIA_CTK_CONFIG_FILE_PATH"] = "";
  EXPECT_EQ(load("").cli.user, "xdg");
}

TEST_F(ConfigHookFile, WithoutXdgAMissingEtcFileGivesTheDefaults) {
  const std::string etc = "/etc/nvidia-container-runtime/config.toml";
  if (std::filesystem::exists(etc)) GTEST_SKIP() << etc << " exists on this machine and is not ours to rely on";
  EXPECT_EQ(load().source, "");
}

TEST_F(ConfigHookFile, AMissingFlagFileIsAnErrorNamingIt) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  const std::string missing = (dir_ / "nope.toml").string();
  EXPECT_EQ(load_error(missing), "config file " + missing + " (from -config): No such file or directory");
}

TEST_F(ConfigHookFile, AMissingEnvFileIsAnErrorNamingIt) {
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  config_named("xdg/nvidia-container-runtime/config.toml", "xdg");
  const std::string missing = (dir_ / "nope.toml").string();
  env_["NVIDIA_CTK_CONFIG_FILE_PATH"] = missing;
  EXPECT_EQ(load_error(), "config file " + missing + " (from NVIDIA_CTK_CONFIG_FILE_PATH): No such file or directory");
}

TEST_F(ConfigHookFile, ADirectoryWhereTheFileShouldBeIsAnError) {
  std::filesystem::create_directories(xdg_file());
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  EXPECT_EQ(load_error(), "config file " + xdg_file() + " (from XDG_CONFIG_HOME): is a directory, not a file");
  EXPECT_EQ(load_error(dir_.path().string()),
            "config file " + dir_.path().string() + " (from -config): is a directory, not a file");
}

TEST_F(ConfigHookFile, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = (dir_ / "fifo.toml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(load_error(fifo), "config file " + fifo + " (from -config): not a regular file");
}

TEST_F(ConfigHookFile, AFileOverOneMiBIsAnError) {
  const std::string big = (dir_ / "big.toml").string();
  write_file(big, "# " + std::string((1 << 20) - 3, 'x') + "\n");  // exactly 1 MiB: still read
  EXPECT_EQ(load(big).source, big);
  write_file(big, "# " + std::string(1 << 20, 'x') + "\n");
  EXPECT_EQ(load_error(big), "config file " + big + " (from -config): larger than 1048576 bytes");
}

TEST_F(ConfigHookFile, ABadValueInTheFileNamesThatFile) {
  write_file(dir_ / "bad.toml", "disable-require = \"yes\"\n");
  const std::string bad = (dir_ / "bad.toml").string();
  EXPECT_EQ(load_error(bad), bad + ": disable-require: expected a boolean, got a string");
  write_file(dir_ / "bad.toml", "\n\ndisable-require = \n");
  EXPECT_EQ(load_error(bad), bad + ":3:19: Error while parsing key-value pair: expected value, saw '\\n'");
}
