// Docker's --gpus: the CLI's parsing (docker/cli opts/gpus.go), the CDI names dockerd >= 29.2 asks for, and its
// CDI-first decision with the runtime-hook fallback (moby-gpus.md §B.1.3-B.1.5, §B.2).
#include <gtest/gtest.h>

#include "common/cdi/docker/docker_gpus.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;
using gpuhooks::test::error_of;
using gpuhooks::test::TempDir;
using gpuhooks::test::write_file;
using Strings = std::vector<std::string>;

namespace {

Strings cdi_names(const std::string& gpus) {
  Strings out;
  for (const auto& id : requested_device_ids(parse_gpus_option(gpus))) out.push_back(cdi_name_for_gpu(id));
  return out;
}

// A registry holding nvidia.com/gpu=0, =1 and =all.
class CdiDockerDecision : public ::testing::Test {
 protected:
  CdiDockerDecision() {
    write_file(dir_ / "nvidia.yaml",
               "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
               "- {name: '0', containerEdits: {env: [G=0]}}\n"
               "- {name: '1', containerEdits: {env: [G=1]}}\n"
               "- {name: all, containerEdits: {env: [G=all]}}\n");
  }
  GpuDecision decide(const std::string& gpus, const DockerGpuSetup& setup = {}) {
    Registry r({dir_.path().string()});
    return decide_gpus(parse_gpus_option(gpus), r, setup);
  }
  TempDir dir_;
};

}  // namespace

TEST(CdiDockerGpus, AllIsCountMinusOneWithTheGpuCapability) {
  DeviceRequest r = parse_gpus_option("all");
  EXPECT_EQ(r.count, -1);
  EXPECT_TRUE(r.device_ids.empty());
  EXPECT_EQ(r.capabilities, (std::vector<Strings>{{"gpu"}}));
  EXPECT_EQ(cdi_names("all"), Strings{"nvidia.com/gpu=all"});
}

TEST(CdiDockerGpus, ACountNMeansIndexesZeroToNMinusOne) {
  EXPECT_EQ(cdi_names("2"), (Strings{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}));
  EXPECT_EQ(cdi_names("count=3").size(), 3u);
}

TEST(CdiDockerGpus, AQuotedDeviceListKeepsItsCommas) {
  EXPECT_EQ(cdi_names("\"device=0,2\""), (Strings{"nvidia.com/gpu=0", "nvidia.com/gpu=2"}));
}

TEST(CdiDockerGpus, UuidsAndMigNamesMapToTheDefaultKind) {
  EXPECT_EQ(cdi_names("device=GPU-8f6b1c2d"), Strings{"nvidia.com/gpu=GPU-8f6b1c2d"});
  EXPECT_EQ(cdi_names("device=MIG-1234"), Strings{"nvidia.com/gpu=MIG-1234"});
}

TEST(CdiDockerGpus, NamesThatAlreadyContainEqualsAreKept) {
  EXPECT_EQ(cdi_names("\"device=vendor.com/x=1,0\""), (Strings{"vendor.com/x=1", "nvidia.com/gpu=0"}));
}

TEST(CdiDockerGpus, AnUnquotedDeviceListBecomesDeviceAndCountAndFails) {
  DeviceRequest r = parse_gpus_option("device=0,1");
  EXPECT_EQ(r.device_ids, Strings{"0"});
  EXPECT_EQ(r.count, 1);
  EXPECT_EQ(error_of([&] { requested_device_ids(r); }), "cannot set both Count and DeviceIDs on device request");
}

TEST(CdiDockerGpus, ACountBeyondAnyHostIsRefusedBeforeItsNamesAreBuilt) {
  EXPECT_EQ(cdi_names("4096").size(), 4096u);
  EXPECT_EQ(error_of([] { cdi_names("4097"); }), "device request count 4097 is more than 4096 GPUs");
  EXPECT_EQ(error_of([] { cdi_names("count=8000000000001"); }),
            "device request count 8000000000001 is more than 4096 GPUs");
}

TEST(CdiDockerGpus, CapabilitiesGetGpuAppendedAndCountDefaultsToOne) {
  DeviceRequest r = parse_gpus_option("\"capabilities=compute,utility\"");
  EXPECT_EQ(r.capabilities, (std::vector<Strings>{{"compute", "utility", "gpu"}}));
  EXPECT_EQ(r.count, 1);
}

TEST(CdiDockerGpus, DriverAndOptions) {
  DeviceRequest r = parse_gpus_option("driver=nvidia,\"options=a=1,b\"");
  EXPECT_EQ(r.driver, "nvidia");
  EXPECT_EQ(r.options, (std::map<std::string, std::string>{{"a", "1"}, {"b", ""}}));
}

TEST(CdiDockerGpus, ParseErrors) {
  EXPECT_EQ(
      error_of([] { parse_gpus_option("two"); }),
      "invalid argument \"two\" for \"--gpus\" flag: invalid count (two): value must be either \"all\" or an integer");
  EXPECT_EQ(error_of([] { parse_gpus_option("2,count=3"); }),
            "invalid argument \"2,count=3\" for \"--gpus\" flag: gpu request key 'count' can be specified only once");
  EXPECT_EQ(error_of([] { parse_gpus_option("gpus=1"); }),
            "invalid argument \"gpus=1\" for \"--gpus\" flag: unexpected key 'gpus' in 'gpus=1'");
  EXPECT_EQ(error_of([] { parse_gpus_option(""); }), "invalid argument \"\" for \"--gpus\" flag: EOF");
  EXPECT_EQ(error_of([] { parse_gpus_option("dev\"ice=0"); }),
            "invalid argument \"dev\\\"ice=0\" for \"--gpus\" flag: parse error on line 1, column 4: bare \" in "
            "non-quoted-field");
}

TEST(CdiDockerGpus, CountZeroAsksForNothing) { EXPECT_EQ(requested_device_ids(parse_gpus_option("0")), Strings{}); }

TEST_F(CdiDockerDecision, CdiServesWhenEveryNameResolves) {
  GpuDecision d = decide("2");
  EXPECT_EQ(d.path, GpuDecision::Path::kCdi);
  EXPECT_EQ(d.cdi_devices, (Strings{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}));
  EXPECT_TRUE(d.legacy_env.empty());
  EXPECT_EQ(d.reason, "every CDI device resolves");
}

TEST_F(CdiDockerDecision, AnUnresolvableNameFallsBackToTheRuntimeHook) {
  GpuDecision d = decide("\"device=0,7\"");
  EXPECT_EQ(d.path, GpuDecision::Path::kLegacyHook);
  EXPECT_EQ(d.cdi_devices, (Strings{"nvidia.com/gpu=0", "nvidia.com/gpu=7"}));
  EXPECT_EQ(d.legacy_env, Strings{"NVIDIA_VISIBLE_DEVICES=0,7"});
  EXPECT_EQ(d.reason, "CDI device injection failed: unresolvable CDI devices nvidia.com/gpu=7");
}

TEST_F(CdiDockerDecision, TheLegacyPathPassesNvidiaCapabilities) {
  DockerGpuSetup no_cdi;
  no_cdi.has_cdi_hook = false;
  GpuDecision d = decide("all,\"capabilities=graphics,display\"", no_cdi);
  EXPECT_EQ(d.path, GpuDecision::Path::kLegacyHook);
  EXPECT_EQ(d.legacy_env, (Strings{"NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=graphics,display"}));
}

TEST_F(CdiDockerDecision, CapabilitiesAreDroppedOnTheCdiPath) {
  GpuDecision d = decide("\"capabilities=compute,utility\"");
  EXPECT_EQ(d.path, GpuDecision::Path::kCdi);
  EXPECT_EQ(d.cdi_devices, Strings{"nvidia.com/gpu=0"});
}

TEST_F(CdiDockerDecision, AnUnknownCapabilitySelectsNoDriver) {
  EXPECT_EQ(error_of([&] { decide("capabilities=ngx"); }),
            "could not select device driver \"\" with capabilities: [[ngx gpu]]");
}

TEST_F(CdiDockerDecision, NoNvidiaBinariesSelectNoDriver) {
  DockerGpuSetup none;
  none.has_cdi_hook = none.has_runtime_hook = false;
  EXPECT_EQ(error_of([&] { decide("all", none); }), "could not select device driver \"\" with capabilities: [[gpu]]");
}

TEST_F(CdiDockerDecision, CountZeroInjectsNothing) {
  GpuDecision d = decide("0");
  EXPECT_EQ(d.path, GpuDecision::Path::kNone);
  EXPECT_TRUE(d.cdi_devices.empty());
}

TEST_F(CdiDockerDecision, WithoutTheRuntimeHookACdiFailureIsFinal) {
  DockerGpuSetup cdi_only;
  cdi_only.has_runtime_hook = false;
  EXPECT_EQ(error_of([&] { decide("device=5", cdi_only); }),
            "CDI device injection failed: unresolvable CDI devices nvidia.com/gpu=5");
}

TEST_F(CdiDockerDecision, CdiDisabledFallsBackWithTheDriverError) {
  DockerGpuSetup disabled;
  disabled.cdi_enabled = false;
  GpuDecision d = decide("all", disabled);
  EXPECT_EQ(d.path, GpuDecision::Path::kLegacyHook);
  EXPECT_EQ(d.reason,
            "no CDI device driver registered: could not select device driver \"\" with capabilities: [[gpu]]");
}

TEST_F(CdiDockerDecision, ExplicitRuntimeHookDriverSkipsCdi) {
  GpuDecision d = decide("driver=nvidia.runtime-hook,all");
  EXPECT_EQ(d.path, GpuDecision::Path::kLegacyHook);
  EXPECT_EQ(d.legacy_env, Strings{"NVIDIA_VISIBLE_DEVICES=all"});
}

TEST_F(CdiDockerDecision, NoSpecDirsMeansNoCdi) {
  Registry empty(std::vector<std::string>{});
  GpuDecision d = decide_gpus(parse_gpus_option("all"), empty);
  EXPECT_EQ(d.path, GpuDecision::Path::kLegacyHook);
  EXPECT_EQ(d.reason, "CDI device injection failed: no CDI specification directories specified");
}
