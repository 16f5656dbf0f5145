// `gpuhooks cdi inject`: rewrites config.json in place, atomically; any error leaves it byte for byte as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

using namespace gpuhooks::test;
using ::testing::HasSubstr;
using json = nlohmann::json;

namespace {

class CliCdiInject : public ::testing::Test {
 protected:
  CliCdiInject() {
    write_file(specs_ / "v.yaml",
               "cdiVersion: 0.3.0\nkind: v.com/c\ncontainerEdits: {env: [G=1]}\ndevices:\n"
               "- {name: a, containerEdits: {env: [A=1], mounts: [{hostPath: /h, containerPath: /c}]}}\n"
               "- {name: bad, containerEdits: {deviceNodes: [{path: /dev/nonexistent-x}]}}\n");
    write_file(bundle_ / "config.json", kConfig);
  }
  RunResult inject(std::vector<std::string> args) {
    std::vector<std::string> argv = {built("gpuhooks").string(), "cdi", "inject", "--spec-dir", specs_.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  std::string config() { return read_file(bundle_ / "config.json"); }
  static constexpr const char* kConfig = "{\"ociVersion\": \"1.0.2\", \"process\": {\"env\": [\"PATH=/bin\"]}}";
  TempDir specs_, bundle_;
};

}  // namespace

TEST_F(CliCdiInject, RewritesTheBundleConfig) {
  RunResult r = inject({"--device", "v.com/c=a", "--bundle", bundle_.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(json::parse(config()), json::parse(R"({"ociVersion":"1.0.2","process":{"env":["PATH=/bin","G=1","A=1"]},
                                                 "mounts":[{"destination":"/c","source":"/h"}]})"));
}

TEST_F(CliCdiInject, ConfigFileOption) {
  RunResult r = inject({"--device", "v.com/c=a", "--config", (bundle_ / "config.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(config())["process"]["env"], json({"PATH=/bin", "G=1", "A=1"}));
}

TEST_F(CliCdiInject, AnUnresolvableDeviceChangesNothing) {
  RunResult r = inject({"--device", "v.com/c=a", "--device", "nvidia.com/gpu=7", "--bundle", bundle_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: unresolvable CDI devices nvidia.com/gpu=7\n"));
  EXPECT_EQ(config(), kConfig);
}

TEST_F(CliCdiInject, AFailedEditChangesNothing) {
  RunResult r = inject({"--device", "v.com/c=a", "--device", "v.com/c=bad", "--bundle", bundle_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: failed to inject devices: failed to stat CDI host device "
                               "\"/dev/nonexistent-x\": No such file or directory\n"));
  EXPECT_EQ(config(), kConfig);
}

TEST_F(CliCdiInject, SpecErrorsAreShownNextToAnUnresolvedDevice) {
  write_file(specs_ / "broken.yaml", "cdiVersion: 0.3.0\nkind: spidernet.io/test\ndevices: [{name: demo1}]\n");
  RunResult r = inject({"--device", "spidernet.io/test=demo1", "--bundle", bundle_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("invalid device, empty device edits"));
  EXPECT_THAT(r.err, HasSubstr("unresolvable CDI devices spidernet.io/test=demo1"));
}

TEST_F(CliCdiInject, AnInvalidConfigIsAnError) {
  write_file(bundle_ / "config.json", "{not json");
  RunResult r = inject({"--device", "v.com/c=a", "--bundle", bundle_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot parse OCI spec " + (bundle_ / "config.json").string()));
  EXPECT_EQ(config(), "{not json");
}

TEST_F(CliCdiInject, BundleAndConfigExcludeEachOther) {
  RunResult r = inject({"--device", "v.com/c=a", "--bundle", "x", "--config", "y"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(config(), kConfig);
}

TEST_F(CliCdiInject, NoTemporaryFileIsLeftBehind) {
  inject({"--device", "v.com/c=a", "--bundle", bundle_.path().string()});
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(bundle_.path())) ++files;
  EXPECT_EQ(files, 1u);
}
