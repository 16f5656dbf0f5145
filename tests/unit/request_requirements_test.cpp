// Which requirements a GPU container states (nvidia-hooks.md §2.7): NVIDIA_REQUIRE_*, a legacy image's CUDA floor,
// and the ways to switch them off.
#include <gtest/gtest.h>

#include "common/request/request.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;
using Strings = std::vector<std::string>;

namespace {

// A GPU container (NVIDIA_VISIBLE_DEVICES=all) with `env` added.
request::Request requirements_request(std::map<std::string, std::string> env, const request::RequestOptions& o = {}) {
  oci::ContainerConfig c;
  c.oci_version = "1.0.2";
  c.env = std::move(env);
  c.env.emplace("NVIDIA_VISIBLE_DEVICES", "all");
  return request::read_request(c, o);
}

Strings requirements_for(std::map<std::string, std::string> env) {
  return requirements_request(std::move(env)).requirements;
}

Strings legacy_floor(const std::string& cuda_version) { return requirements_for({{"CUDA_VERSION", cuda_version}}); }

}  // namespace

TEST(RequestRequirements, EveryRequireVariableCountsSorted) {
  EXPECT_EQ(requirements_for({{"NVIDIA_REQUIRE_CUDA", "cuda>=12.4 brand=tesla,driver>=470,driver<471"},
                              {"NVIDIA_REQUIRE_ARCH", "arch>=8.0"},
                              {"NVIDIA_REQUIRE_X", "brand=tesla"}}),
            (Strings{"arch>=8.0", "brand=tesla", "cuda>=12.4 brand=tesla,driver>=470,driver<471"}));
}

TEST(RequestRequirements, JetpackVariablesAreNotRequirements) {
  EXPECT_EQ(requirements_for({{"NVIDIA_REQUIRE_JETPACK", "csv-mounts=all"},
                              {"NVIDIA_REQUIRE_JETPACK_HOST_MOUNTS", "x"},
                              {"NVIDIA_REQUIRE_CUDA", "cuda>=11.4"}}),
            Strings{"cuda>=11.4"});
}

TEST(RequestRequirements, TheNamePrefixIsExactAndCaseSensitive) {
  EXPECT_TRUE(requirements_for({{"NVIDIA_REQUIRE", "cuda>=1"}, {"nvidia_require_cuda", "cuda>=1"}}).empty());
}

TEST(RequestRequirements, AnEmptyValueStillCounts) {
  EXPECT_EQ(requirements_for({{"NVIDIA_REQUIRE_CUDA", "cuda>=12.0"}, {"NVIDIA_REQUIRE_X", ""}}),
            (Strings{"", "cuda>=12.0"}));
}

TEST(RequestRequirements, ALegacyImageAddsItsCudaMajorMinor) {
  EXPECT_EQ(legacy_floor("9.0.116"), Strings{"cuda>=9.0"});
  EXPECT_EQ(legacy_floor("8"), Strings{"cuda>=8.0"});
  EXPECT_EQ(legacy_floor("v11.6"), Strings{"cuda>=11.6"});
  EXPECT_EQ(legacy_floor("11.6.1-rc.1+build.2"), Strings{"cuda>=11.6"});
  EXPECT_EQ(legacy_floor("4294967295.1"), Strings{"cuda>=4294967295.1"});
}

TEST(RequestRequirements, ALegacyImageWithAnEmptyRequireCudaHasBoth) {
  EXPECT_EQ(requirements_for({{"CUDA_VERSION", "10.2.89"}, {"NVIDIA_REQUIRE_CUDA", ""}}), (Strings{"", "cuda>=10.2"}));
}

TEST(RequestRequirements, AnInvalidCudaVersionIsAnError) {
  EXPECT_EQ(error_of([] { legacy_floor("abc"); }),
            "failed to get requirements: invalid CUDA version 'abc': invalid version string");
}

TEST(RequestRequirements, CudaVersionsGoSemverRefusesAreErrors) {
  for (const char* v :
       {"11.06", "11.6.1.2", "11.6-rc1", "vv11.6", "11.", "11.6.1-", "11.6.1-01", "11.6.1+", " 11.6", "11.6.1-r_c"})
    EXPECT_EQ(error_of([&] { legacy_floor(v); }),
              std::string("failed to get requirements: invalid CUDA version '") + v + "': invalid version string");
}

TEST(RequestRequirements, CudaMajorAndMinorMustFitAUint32) {
  EXPECT_EQ(error_of([] { legacy_floor("4294967296.0"); }),
            "failed to get requirements: invalid CUDA version '4294967296.0': invalid major version");
  EXPECT_EQ(error_of([] { legacy_floor("1.99999999999999999999"); }),
            "failed to get requirements: invalid CUDA version '1.99999999999999999999': invalid minor version");
}

TEST(RequestRequirements, TheCudaVersionErrorStaysOneLine) {
  EXPECT_EQ(error_of([] { legacy_floor("1\n2"); }),
            "failed to get requirements: invalid CUDA version '1\\n2': invalid version string");
}

TEST(RequestRequirements, DisableRequireTrueDropsEveryRequirement) {
  for (const char* v : {"1", "t", "T", "TRUE", "true", "True"}) {
    auto r = requirements_request({{"NVIDIA_DISABLE_REQUIRE", v}, {"NVIDIA_REQUIRE_CUDA", "cuda>=99"}});
    EXPECT_TRUE(r.disable_require) << v;
    EXPECT_TRUE(r.requirements.empty()) << v;
  }
}

TEST(RequestRequirements, DisableRequireAlsoSkipsALegacyImagesBadVersion) {
  auto r = requirements_request({{"NVIDIA_DISABLE_REQUIRE", "true"}, {"CUDA_VERSION", "abc"}});
  EXPECT_TRUE(r.requirements.empty());
}

TEST(RequestRequirements, DisableRequireValuesGoCannotParseAreFalse) {
  for (const char* v : {"", "yes", "on", "2", "tRUE", "false", "0", " true"}) {
    auto r = requirements_request({{"NVIDIA_DISABLE_REQUIRE", v}, {"NVIDIA_REQUIRE_CUDA", "cuda>=12"}});
    EXPECT_FALSE(r.disable_require) << v;
    EXPECT_EQ(r.requirements, Strings{"cuda>=12"}) << v;
  }
}

TEST(RequestRequirements, TheConfigsDisableRequireForcesIt) {
  request::RequestOptions o;
  o.disable_require = true;
  auto r = requirements_request({{"NVIDIA_DISABLE_REQUIRE", "false"}, {"NVIDIA_REQUIRE_CUDA", "cuda>=99"}}, o);
  EXPECT_TRUE(r.disable_require);
  EXPECT_TRUE(r.requirements.empty());
}
