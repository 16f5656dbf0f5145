// The driver capabilities a GPU container gets (nvidia-hooks.md §2.6): defaults, the legacy image, the supported
// filter, `all`, and the fatal unsupported word.
#include <gtest/gtest.h>

#include "common/request/request.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;
using Strings = std::vector<std::string>;

namespace {

const Strings kEverySupported = {"compat32", "compute", "display", "graphics", "ngx", "utility", "video"};

// A GPU container (NVIDIA_VISIBLE_DEVICES=all) with `env` added.
Strings capabilities_for(std::map<std::string, std::string> env, const request::RequestOptions& o = {}) {
  oci::ContainerConfig c;
  c.oci_version = "1.0.2";
  c.env = std::move(env);
  c.env.emplace("NVIDIA_VISIBLE_DEVICES", "all");
  return request::read_request(c, o).driver_capabilities;
}

Strings capabilities_env(const std::string& value) { return capabilities_for({{"NVIDIA_DRIVER_CAPABILITIES", value}}); }

request::RequestOptions supporting(Strings supported) {
  request::RequestOptions o;
  o.supported_capabilities = std::move(supported);
  return o;
}

}  // namespace

TEST(RequestCapabilities, UnsetMeansComputeAndUtility) {
  EXPECT_EQ(capabilities_for({}), (Strings{"compute", "utility"}));
}

TEST(RequestCapabilities, EmptyMeansComputeAndUtility) {
  EXPECT_EQ(capabilities_env(""), (Strings{"compute", "utility"}));
}

TEST(RequestCapabilities, UnsetInALegacyImageMeansEverySupported) {
  EXPECT_EQ(capabilities_for({{"CUDA_VERSION", "9.0"}}), kEverySupported);
}

TEST(RequestCapabilities, EmptyInALegacyImageMeansComputeAndUtility) {
  EXPECT_EQ(capabilities_for({{"CUDA_VERSION", "9.0"}, {"NVIDIA_DRIVER_CAPABILITIES", ""}}),
            (Strings{"compute", "utility"}));
}

TEST(RequestCapabilities, TheDefaultIsFilteredBySupported) {
  EXPECT_EQ(capabilities_for({}, supporting({"compute", "video"})), Strings{"compute"});
}

TEST(RequestCapabilities, AListIsTrimmedDedupedAndSorted) {
  EXPECT_EQ(capabilities_env(" video, compute ,,utility,video"), (Strings{"compute", "utility", "video"}));
}

TEST(RequestCapabilities, AllIsTheSupportedList) {
  EXPECT_EQ(capabilities_env("all"), kEverySupported);
  EXPECT_EQ(capabilities_for({{"NVIDIA_DRIVER_CAPABILITIES", "all"}}, supporting({"utility", "graphics"})),
            (Strings{"graphics", "utility"}));
}

TEST(RequestCapabilities, AllBesideOtherWordsIsStillAll) {
  EXPECT_EQ(capabilities_env("compute,all,bogus"), kEverySupported);
}

TEST(RequestCapabilities, AnUnknownCapabilityIsAnError) {
  EXPECT_EQ(error_of([] { capabilities_env("utility,bogus,compute"); }),
            "unsupported capabilities found in 'bogus,compute,utility' (allowed 'compute,utility')");
}

TEST(RequestCapabilities, NoneIsAnUnknownCapability) {
  EXPECT_EQ(error_of([] { capabilities_env("none"); }), "unsupported capabilities found in 'none' (allowed '')");
}

TEST(RequestCapabilities, AKnownButUnsupportedCapabilityIsAnError) {
  EXPECT_EQ(error_of([] {
              capabilities_for({{"NVIDIA_DRIVER_CAPABILITIES", "video"}}, supporting({"compute"}));
            }),
            "unsupported capabilities found in 'video' (allowed '')");
}

TEST(RequestCapabilities, OnlySeparatorsMeanNoCapabilities) { EXPECT_TRUE(capabilities_env(" , ").empty()); }

TEST(RequestCapabilities, TheErrorStaysOneLine) {
  EXPECT_EQ(error_of([] { capabilities_env("comp\nute"); }),
            "unsupported capabilities found in 'comp\\nute' (allowed '')");
}
