// config.toml's keys over the built-in defaults, and how a bad value is worded (nvidia-hooks.md §2.2, §3.6).
#include <gtest/gtest.h>

#include "common/config/hook_config.h"
#include "support/test_support.h"

using gpuhooks::config::HookConfig;
using gpuhooks::config::parse_hook_config;
using gpuhooks::test::error_of;
using Strings = std::vector<std::string>;

namespace {

const char* const kSrc = "/etc/nvidia-container-runtime/config.toml";

HookConfig parse_keys(const std::string& text) { return parse_hook_config(text, kSrc); }
std::string key_error(const std::string& text) {
  return error_of([&] { parse_keys(text); });
}

const Strings kAllCaps = {"compat32", "compute", "display", "graphics", "ngx", "utility", "video"};

// The file `nvidia-ctk config default` writes (toolkit 1.17), comments and the keys the hook never reads included.
const char* const kPublishedDefault = R"(#accept-nvidia-visible-devices-as-volume-mounts = false
#accept-nvidia-visible-devices-envvar-when-unprivileged = true
disable-require = false
supported-driver-capabilities = "compat32,compute,display,graphics,ngx,utility,video"
#swarm-resource = "DOCKER_RESOURCE_GPU"

[nvidia-container-cli]
#debug = "/var/log/nvidia-container-toolkit.log"
environment = []
#ldcache = "/etc/ld.so.cache"
ldconfig = "@/sbin/ldconfig"
load-kmods = true
#no-cgroups = false
#path = "/usr/bin/nvidia-container-cli"
#root = "/run/nvidia/driver"
#user = "root:video"

[nvidia-container-runtime]
#debug = "/var/log/nvidia-container-runtime.log"
log-level = "info"
mode = "auto"
runtimes = ["docker-runc", "runc", "crun"]

[nvidia-container-runtime.modes]

[nvidia-container-runtime.modes.cdi]
annotation-prefixes = ["cdi.k8s.io/"]
default-kind = "nvidia.com/gpu"
spec-dirs = ["/etc/cdi", "/var/run/cdi"]

[nvidia-container-runtime.modes.csv]
mount-spec-path = "/etc/nvidia-container-runtime/host-files-for-container.d"

[nvidia-container-runtime.modes.legacy]
cuda-compat-mode = "ldconfig"

[nvidia-container-runtime-hook]
path = "nvidia-container-runtime-hook"
skip-mode-detection = false

[nvidia-ctk]
path = "nvidia-ctk"
)";

void expect_defaults(const HookConfig& c) {
  EXPECT_FALSE(c.disable_require);
  EXPECT_EQ(c.swarm_resource, Strings{});
  EXPECT_TRUE(c.accept_envvar_unprivileged);
  EXPECT_FALSE(c.accept_volume_mounts);
  EXPECT_EQ(c.supported_driver_capabilities, kAllCaps);
  EXPECT_EQ(c.cli.root, "/");
  EXPECT_EQ(c.cli.path, "");
  EXPECT_EQ(c.cli.environment, Strings{});
  EXPECT_EQ(c.cli.debug, "");
  EXPECT_EQ(c.cli.ldcache, "");
  EXPECT_TRUE(c.cli.load_kmods);
  EXPECT_FALSE(c.cli.no_pivot);
  EXPECT_FALSE(c.cli.no_cgroups);
  EXPECT_EQ(c.cli.user, "");
  EXPECT_EQ(c.cli.ldconfig, "@/sbin/ldconfig");
  EXPECT_EQ(c.mode, "auto");
  EXPECT_EQ(c.cdi_spec_dirs, (Strings{"/etc/cdi", "/var/run/cdi"}));
  EXPECT_EQ(c.cdi_default_kind, "nvidia.com/gpu");
  EXPECT_EQ(c.cuda_compat_mode, "ldconfig");
  EXPECT_FALSE(c.skip_mode_detection);
  EXPECT_FALSE(c.disable_imex_channel_creation);
  EXPECT_FALSE(c.ignore_imex_channel_requests);
  EXPECT_FALSE(c.allow_cuda_compat_libs_from_container);
  EXPECT_FALSE(c.allow_ldconfig_from_container);
}

}  // namespace

TEST(ConfigHookKeys, BuiltInDefaultsMatchTheReference) {
  HookConfig c;
  EXPECT_EQ(c.source, "");
  expect_defaults(c);
}

TEST(ConfigHookKeys, AnEmptyFileKeepsEveryDefault) {
  HookConfig c = parse_keys("");
  EXPECT_EQ(c.source, kSrc);
  expect_defaults(c);
}

TEST(ConfigHookKeys, ThePublishedDefaultFileGivesTheDefaults) { expect_defaults(parse_keys(kPublishedDefault)); }

TEST(ConfigHookKeys, EachTopLevelKeyIsRead) {
  HookConfig c = parse_keys(
      "disable-require = true\n"
      "swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
      "accept-nvidia-visible-devices-envvar-when-unprivileged = false\n"
      "accept-nvidia-visible-devices-as-volume-mounts = true\n"
      "supported-driver-capabilities = \"utility,compute\"\n");
  EXPECT_TRUE(c.disable_require);
  EXPECT_EQ(c.swarm_resource, Strings{"DOCKER_RESOURCE_GPU"});
  EXPECT_FALSE(c.accept_envvar_unprivileged);
  EXPECT_TRUE(c.accept_volume_mounts);
  EXPECT_EQ(c.supported_driver_capabilities, (Strings{"compute", "utility"}));
}

TEST(ConfigHookKeys, EachNvidiaContainerCliKeyIsRead) {
  HookConfig c = parse_keys(
      "[nvidia-container-cli]\n"
      "root = \"/run/nvidia/driver\"\n"
      "path = \"/usr/bin/nvidia-container-cli\"\n"
      "environment = [\"A=1\", \"B=2\"]\n"
      "debug = \"/var/log/nvidia-container-toolkit.log\"\n"
      "ldcache = \"/etc/ld.so.cache\"\n"
      "load-kmods = false\n"
      "no-pivot = true\n"
      "no-cgroups = true\n"
      "user = \"root:video\"\n"
      "ldconfig = \"@/sbin/ldconfig.real\"\n");
  EXPECT_EQ(c.cli.root, "/run/nvidia/driver");
  EXPECT_EQ(c.cli.path, "/usr/bin/nvidia-container-cli");
  EXPECT_EQ(c.cli.environment, (Strings{"A=1", "B=2"}));
  EXPECT_EQ(c.cli.debug, "/var/log/nvidia-container-toolkit.log");
  EXPECT_EQ(c.cli.ldcache, "/etc/ld.so.cache");
  EXPECT_FALSE(c.cli.load_kmods);
  EXPECT_TRUE(c.cli.no_pivot);
  EXPECT_TRUE(c.cli.no_cgroups);
  EXPECT_EQ(c.cli.user, "root:video");
  EXPECT_EQ(c.cli.ldconfig, "@/sbin/ldconfig.real");
}

TEST(ConfigHookKeys, EachRuntimeAndHookKeyIsRead) {
  HookConfig c = parse_keys(
      "[nvidia-container-runtime]\nmode = \"legacy\"\n"
      "[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"/opt/cdi\"]\ndefault-kind = \"example.com/device\"\n"
      "[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"mount\"\n"
      "[nvidia-container-runtime-hook]\nskip-mode-detection = true\n");
  EXPECT_EQ(c.mode, "legacy");
  EXPECT_EQ(c.cdi_spec_dirs, Strings{"/opt/cdi"});
  EXPECT_EQ(c.cdi_default_kind, "example.com/device");
  EXPECT_EQ(c.cuda_compat_mode, "mount");
  EXPECT_TRUE(c.skip_mode_detection);
}

TEST(ConfigHookKeys, EachFeatureIsRead) {
  HookConfig c = parse_keys(
      "[features]\n"
      "disable-imex-channel-creation = true\n"
      "ignore-imex-channel-requests = true\n"
      "allow-cuda-compat-libs-from-container = true\n"
      "allow-ldconfig-from-container = true\n");
  EXPECT_TRUE(c.disable_imex_channel_creation);
  EXPECT_TRUE(c.ignore_imex_channel_requests);
  EXPECT_TRUE(c.allow_cuda_compat_libs_from_container);
  EXPECT_TRUE(c.allow_ldconfig_from_container);
}

TEST(ConfigHookKeys, DottedKeysAndInlineTablesAreTheSameKeys) {
  EXPECT_EQ(parse_keys("nvidia-container-runtime.modes.legacy.cuda-compat-mode = \"hook\"\n").cuda_compat_mode, "hook");
  EXPECT_EQ(parse_keys("nvidia-container-cli = { no-cgroups = true }\n").cli.no_cgroups, true);
}

TEST(ConfigHookKeys, AnEmptyCliRootMeansTheHostRoot) {
  EXPECT_EQ(parse_keys("[nvidia-container-cli]\nroot = \"\"\n").cli.root, "/");
}

TEST(ConfigHookKeys, SwarmResourceIsSplitAndTrimmedWithEmptyItemsDropped) {
  EXPECT_EQ(parse_keys("swarm-resource = \" DOCKER_RESOURCE_GPU , ,OTHER_GPU,\"\n").swarm_resource,
            (Strings{"DOCKER_RESOURCE_GPU", "OTHER_GPU"}));
  EXPECT_EQ(parse_keys("swarm-resource = \"\"\n").swarm_resource, Strings{});
}

TEST(ConfigHookKeys, CapabilitiesAreTrimmedSortedAndDeduplicated) {
  EXPECT_EQ(
      parse_keys("supported-driver-capabilities = \"video, compute,utility,compute,\"\n").supported_driver_capabilities,
      (Strings{"compute", "utility", "video"}));
}

TEST(ConfigHookKeys, AllCapabilitiesExpandToTheFullList) {
  EXPECT_EQ(parse_keys("supported-driver-capabilities = \"all\"\n").supported_driver_capabilities, kAllCaps);
  EXPECT_EQ(parse_keys("supported-driver-capabilities = \"compute,all\"\n").supported_driver_capabilities, kAllCaps);
}

TEST(ConfigHookKeys, AnEmptyCapabilityListSupportsNone) {
  EXPECT_EQ(parse_keys("supported-driver-capabilities = \"\"\n").supported_driver_capabilities, Strings{});
}

TEST(ConfigHookKeys, AnUnknownCapabilityFailsWithTheReferenceText) {
  EXPECT_EQ(key_error("supported-driver-capabilities = \"compute,gpu\"\n"),
            std::string(kSrc) +
                ": Invalid value for config option 'supported-driver-capabilities'; compute,gpu "
                "(supported: compat32,compute,display,graphics,ngx,utility,video)");
}

TEST(ConfigHookKeys, UnknownKeysAndTablesAreIgnored) {
  HookConfig c = parse_keys(
      "no-such-key = 1\n"
      "[nvidia-container-cli]\nno-such-cli-key = [1, 2]\n"
      "[nvidia-ctk]\npath = \"nvidia-ctk\"\n"
      "[[some.array.of.tables]]\nx = 1\n");
  expect_defaults(c);
}

TEST(ConfigHookKeys, AKeyOfTheWrongTypeNamesKeyAndFile) {
  const std::string src = kSrc;
  EXPECT_EQ(key_error("disable-require = \"yes\"\n"), src + ": disable-require: expected a boolean, got a string");
  EXPECT_EQ(key_error("swarm-resource = [\"A\"]\n"), src + ": swarm-resource: expected a string, got an array");
  EXPECT_EQ(key_error("[nvidia-container-cli]\nload-kmods = 1\n"),
            src + ": nvidia-container-cli.load-kmods: expected a boolean, got an integer");
  EXPECT_EQ(key_error("[nvidia-container-cli]\nroot = 1.5\n"),
            src + ": nvidia-container-cli.root: expected a string, got a float");
  EXPECT_EQ(key_error("[features]\nallow-ldconfig-from-container = 1979-05-27\n"),
            src + ": features.allow-ldconfig-from-container: expected a boolean, got a date");
}

TEST(ConfigHookKeys, AListKeyNeedsAnArrayOfStrings) {
  const std::string src = kSrc;
  EXPECT_EQ(key_error("[nvidia-container-cli]\nenvironment = \"A=1\"\n"),
            src + ": nvidia-container-cli.environment: expected an array of strings, got a string");
  EXPECT_EQ(key_error("[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\"/etc/cdi\", 3]\n"),
            src + ": nvidia-container-runtime.modes.cdi.spec-dirs[1]: expected a string, got an integer");
}

TEST(ConfigHookKeys, ATableThatIsNotATableNamesIt) {
  EXPECT_EQ(key_error("nvidia-container-cli = \"/usr/bin\"\n"),
            std::string(kSrc) + ": nvidia-container-cli: expected a table, got a string");
  EXPECT_EQ(key_error("[nvidia-container-runtime]\nmodes = 1\n"),
            std::string(kSrc) + ": nvidia-container-runtime.modes: expected a table, got an integer");
}

TEST(ConfigHookKeys, AModeOutsideAutoCdiLegacyIsAnError) {
  for (const char* ok : {"auto", "cdi", "legacy"}) {
    EXPECT_EQ(parse_keys(std::string("[nvidia-container-runtime]\nmode = \"") + ok + "\"\n").mode, ok);
  }
  EXPECT_EQ(key_error("[nvidia-container-runtime]\nmode = \"csv\"\n"),
            std::string(kSrc) + ": nvidia-container-runtime.mode: \"csv\" is not one of auto, cdi, legacy");
}

// Ours: the prestart hook's deadline, for Docker's --gpus hook that gets no NVIDIA_CTK_HOOK_TIMEOUT.
TEST(ConfigHookKeys, TheHookTimeoutIsWholeSecondsFromOneToAnHourAndUnsetByDefault) {
  EXPECT_EQ(parse_keys("").hook_timeout, std::chrono::seconds(0));
  EXPECT_EQ(parse_keys("[nvidia-container-runtime-hook]\ntimeout = 3\n").hook_timeout, std::chrono::seconds(3));
  EXPECT_EQ(key_error("[nvidia-container-runtime-hook]\ntimeout = 0\n"),
            std::string(kSrc) + ": nvidia-container-runtime-hook.timeout: 0 is not from 1 to 3600 seconds");
  EXPECT_EQ(key_error("[nvidia-container-runtime-hook]\ntimeout = \"5s\"\n"),
            std::string(kSrc) + ": nvidia-container-runtime-hook.timeout: expected an integer, got a string");
}

TEST(ConfigHookKeys, ACudaCompatModeOutsideItsSetIsAnError) {
  for (const char* ok : {"ldconfig", "mount", "disabled", "hook"}) {
    EXPECT_EQ(parse_keys(std::string("[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"") + ok + "\"\n")
                  .cuda_compat_mode,
              ok);
  }
  EXPECT_EQ(key_error("[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"\"\n"),
            std::string(kSrc) +
                ": nvidia-container-runtime.modes.legacy.cuda-compat-mode: \"\" is not one of ldconfig, mount, "
                "disabled, hook");
}

TEST(ConfigHookKeys, ADefaultKindMustBeVendorSlashClass) {
  auto kind = [](const std::string& k) {
    return "[nvidia-container-runtime.modes.cdi]\ndefault-kind = \"" + k + "\"\n";
  };
  EXPECT_EQ(parse_keys(kind("a/b")).cdi_default_kind, "a/b");
  EXPECT_EQ(parse_keys(kind("vendor_1.com/class-2")).cdi_default_kind, "vendor_1.com/class-2");
  for (const char* bad : {"nvidia.com", "nvidia.com/", "/gpu", "nvidia.com/gpu=0", "1nvidia.com/gpu", "nvidia.com/gpu-",
                          "nvidia.com/a/b", ""}) {
    EXPECT_EQ(key_error(kind(bad)), std::string(kSrc) + ": nvidia-container-runtime.modes.cdi.default-kind: \"" + bad +
                                        "\" is not a CDI kind of the form vendor/class (e.g. nvidia.com/gpu)")
        << bad;
  }
}

TEST(ConfigHookKeys, ASyntaxErrorGivesFileLineAndColumn) {
  const std::string src = kSrc;
  EXPECT_EQ(key_error("disable-require = false\n[nvidia-container-cli\nroot = \"/\"\n"),
            src + ":2:22: Error while parsing table header: expected ']', saw '\\n'");
  EXPECT_EQ(key_error("a = 1\na = 2\n"),
            src + ":2:5: Error while parsing key-value pair: cannot redefine existing integer 'a'");
}

TEST(ConfigHookKeys, LdconfigMustBeAHostPath) {
  EXPECT_EQ(key_error("[nvidia-container-cli]\nldconfig = \"/sbin/ldconfig\"\n"),
            std::string(kSrc) +
                ": nvidia-container-cli.ldconfig: \"/sbin/ldconfig\" is not host-relative (does not start with a "
                "'@'); features.allow-ldconfig-from-container = true would allow a path in the container");
}

TEST(ConfigHookKeys, AContainerLdconfigNeedsTheFeatureGate) {
  HookConfig c = parse_keys(
      "[nvidia-container-cli]\nldconfig = \"/sbin/ldconfig\"\n"
      "[features]\nallow-ldconfig-from-container = true\n");
  EXPECT_EQ(c.cli.ldconfig, "/sbin/ldconfig");
}
