// Evaluating NVIDIA_REQUIRE_* values against the host (libnvidia-container.md A.3.5, nvidia-hooks.md §2.7): the
// grammar, the comparisons, unknown facts, one evaluation per GPU, the bounds, and every error text.
#include <gtest/gtest.h>

#include "common/request/requirements.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;

namespace {

const request::HostFacts kH100 = {"12.4", "550.54.15", "tesla", {"9.0"}};

// True when every value holds on `host`; an invalid value throws.
bool holds_on(const std::vector<std::string>& values, const request::HostFacts& host = kH100) {
  try {
    request::check_requirements(values, host);
    return true;
  } catch (const Error& e) {
    if (std::string(e.what()).rfind("unsatisfied condition: ", 0) == 0) return false;
    throw;
  }
}
bool holds_on(const std::string& value, const request::HostFacts& host = kH100) {
  return holds_on(std::vector<std::string>{value}, host);
}

std::string check_error(const std::string& value, const request::HostFacts& host = kH100) {
  return error_of([&] { request::check_requirements({value}, host); });
}

}  // namespace

TEST(RequirementCheck, EachOperatorComparesAsWritten) {
  EXPECT_TRUE(holds_on("cuda=12.4"));
  EXPECT_TRUE(holds_on("cuda!=12.3"));
  EXPECT_TRUE(holds_on("cuda<12.5"));
  EXPECT_TRUE(holds_on("cuda<=12.4"));
  EXPECT_TRUE(holds_on("cuda>12.3"));
  EXPECT_TRUE(holds_on("cuda>=12.4"));
  EXPECT_FALSE(holds_on("cuda=12.3"));
  EXPECT_FALSE(holds_on("cuda!=12.4"));
  EXPECT_FALSE(holds_on("cuda<12.4"));
  EXPECT_FALSE(holds_on("cuda<=12.3"));
  EXPECT_FALSE(holds_on("cuda>12.4"));
  EXPECT_FALSE(holds_on("cuda>=12.5"));
}

TEST(RequirementCheck, VersionsCompareNumericallyByComponent) {
  EXPECT_TRUE(holds_on("cuda<12.10"));
  EXPECT_TRUE(holds_on("driver>=550.9"));
  EXPECT_TRUE(holds_on("driver<550.54.100"));
  EXPECT_TRUE(holds_on("cuda=012.04"));
  EXPECT_TRUE(holds_on("driver>99999999999999999999.1", {"12.4", "100000000000000000000", "", {}}));
}

TEST(RequirementCheck, TrailingZeroComponentsAreIgnored) {
  EXPECT_TRUE(holds_on("cuda=12.4.0.0"));
  EXPECT_TRUE(holds_on("cuda=12", {"12.0", "", "", {}}));
  EXPECT_TRUE(holds_on("cuda>12", kH100));
}

TEST(RequirementCheck, SpacesSeparateAlternatives) {
  EXPECT_TRUE(holds_on("cuda>=13.0 brand=tesla"));
  EXPECT_FALSE(holds_on("cuda>=13.0 brand=geforce"));
}

TEST(RequirementCheck, CommasJoinFactors) {
  EXPECT_TRUE(holds_on("brand=tesla,driver>=550,driver<551"));
  EXPECT_FALSE(holds_on("brand=tesla,driver>=470,driver<471"));
}

TEST(RequirementCheck, NvidiasImageValueHoldsOnAnH100Host) {
  EXPECT_TRUE(
      holds_on("cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471 "
               "brand=nvidia,driver>=470,driver<471 brand=tesla,driver>=535,driver<536"));
}

TEST(RequirementCheck, EverySeparateValueMustHold) {
  EXPECT_TRUE(holds_on(std::vector<std::string>{"cuda>=12.0", "arch>=8.0"}));
  EXPECT_FALSE(holds_on(std::vector<std::string>{"cuda>=12.0", "arch>=10.0"}));
}

TEST(RequirementCheck, RepeatedSeparatorsAreSkipped) {
  EXPECT_TRUE(holds_on("  cuda>=13  ,, cuda>=12,,arch>=9 "));
  EXPECT_FALSE(holds_on(" cuda>=13,, "));
}

TEST(RequirementCheck, AnEmptyValueAsksForNothing) {
  EXPECT_TRUE(holds_on(""));
  EXPECT_TRUE(holds_on("   "));
  EXPECT_TRUE(holds_on(std::vector<std::string>{}));
}

TEST(RequirementCheck, PropertyNamesAreCaseInsensitive) {
  EXPECT_TRUE(holds_on("CUDA>=12.4,Driver>=550,ARCH=9.0,Brand=tesla"));
  EXPECT_FALSE(holds_on("CUDA>=13"));
}

TEST(RequirementCheck, BrandComparesCaseInsensitively) {
  EXPECT_TRUE(holds_on("brand=Tesla"));
  EXPECT_TRUE(holds_on("brand=tesla", {"12.4", "550.54.15", "Tesla", {"9.0"}}));
  EXPECT_TRUE(holds_on("brand!=geforce"));
  EXPECT_FALSE(holds_on("brand!=TESLA"));
}

TEST(RequirementCheck, BrandTakesOnlyEqualityOperators) {
  EXPECT_EQ(check_error("brand>=tesla"),
            "invalid requirement 'brand>=tesla': brand compares with = or != only, in 'brand>=tesla'");
}

TEST(RequirementCheck, ArchMustHoldOnEveryGpu) {
  request::HostFacts mixed = {"12.4", "550.54.15", "tesla", {"8.0", "9.0"}};
  EXPECT_TRUE(holds_on("arch>=8.0", mixed));
  EXPECT_FALSE(holds_on("arch>=9.0", mixed));
}

TEST(RequirementCheck, EachGpuMayMeetADifferentAlternative) {
  EXPECT_TRUE(holds_on("arch=8.0 arch=9.0", {"12.4", "550.54.15", "tesla", {"8.0", "9.0"}}));
}

TEST(RequirementCheck, AFactOfTheHostNobodyKnowsHolds) {
  request::HostFacts unknown;
  EXPECT_TRUE(holds_on("cuda>=99,driver>=999,arch>=99,brand=nobody", unknown));
}

TEST(RequirementCheck, WithNoGpuArchHolds) { EXPECT_TRUE(holds_on("arch>=99.0", {"12.4", "550.54.15", "tesla", {}})); }

TEST(RequirementCheck, UnknownPropertiesAreIgnored) {
  EXPECT_TRUE(holds_on("compute>=99"));
  EXPECT_TRUE(holds_on("csv-mounts=all"));
  EXPECT_FALSE(holds_on("foo=bar,cuda>=13"));
}

TEST(RequirementCheck, AFactorWithoutAnOperatorIsInvalid) {
  EXPECT_EQ(check_error("cuda>=12 tesla"),
            "invalid requirement 'cuda>=12 tesla': no operator (one of = != < <= > >=) in 'tesla'");
}

TEST(RequirementCheck, AFactorWithoutAPropertyIsInvalid) {
  EXPECT_EQ(check_error(">=12"), "invalid requirement '>=12': no property before the operator in '>=12'");
}

TEST(RequirementCheck, DoubleEqualsAndOtherRunsAreInvalidOperators) {
  EXPECT_EQ(check_error("cuda==12"), "invalid requirement 'cuda==12': unknown operator '==' in 'cuda==12'");
  EXPECT_EQ(check_error("cuda=>12"), "invalid requirement 'cuda=>12': unknown operator '=>' in 'cuda=>12'");
  EXPECT_EQ(check_error("foo!12"), "invalid requirement 'foo!12': unknown operator '!' in 'foo!12'");
}

TEST(RequirementCheck, AVersionIsDigitsAndDots) {
  for (const char* v : {"cuda>=12.4a", "cuda>=", "cuda>=12..4", "driver>=.5", "arch>=9.", "cuda>=v12", "cuda>=-1"})
    EXPECT_EQ(check_error(v),
              std::string("invalid requirement '") + v + "': not a version (digits and dots) in '" + v + "'");
}

// libnvidia-container stops at the first alternative that holds; we parse the whole value first.
TEST(RequirementCheck, AMalformedLaterAlternativeIsStillInvalid) {
  EXPECT_NE(check_error("cuda>=12.0 cuda>=x").find("invalid requirement"), std::string::npos);
}

TEST(RequirementCheck, UnsatisfiedNamesTheValueAndTheHost) {
  EXPECT_EQ(check_error("arch>=10.0"),
            "unsatisfied condition: arch>=10.0 (host: cuda 12.4, driver 550.54.15, brand tesla, arch 9.0)");
}

TEST(RequirementCheck, UnsatisfiedNamesTheGpuThatFailed) {
  EXPECT_EQ(check_error("arch>=9.0", {"12.4", "550.54.15", "", {"9.0", "8.6"}}),
            "unsatisfied condition: arch>=9.0 (host: cuda 12.4, driver 550.54.15, brand unknown, arch 8.6)");
}

TEST(RequirementCheck, ACudaFloorAddsTheReferencesAdvice) {
  EXPECT_EQ(check_error("cuda>=12.6 brand=geforce"),
            "unsatisfied condition: cuda>=12.6 brand=geforce (host: cuda 12.4, driver 550.54.15, brand tesla, arch "
            "9.0), please update your driver to a newer version, or use an earlier cuda container");
}

TEST(RequirementCheck, TheFirstUnmetValueIsReported) {
  EXPECT_EQ(error_of([] {
              request::check_requirements({"cuda>=12", "driver>=600", "arch>=10"}, kH100);
            }),
            "unsatisfied condition: driver>=600 (host: cuda 12.4, driver 550.54.15, brand tesla, arch 9.0)");
}

TEST(RequirementCheck, ControlBytesStayOnOneLine) {
  EXPECT_EQ(check_error("cuda>=13,x=\nfake"),
            "unsatisfied condition: cuda>=13,x=\\nfake (host: cuda 12.4, driver 550.54.15, brand tesla, arch 9.0), "
            "please update your driver to a newer version, or use an earlier cuda container");
}

TEST(RequirementCheck, ValuesOverFourKibAreRefused) {
  std::string ok = "cuda>=12" + std::string(4096 - 8, ' ');
  EXPECT_TRUE(holds_on(ok));
  std::string e = check_error(ok + " ");
  EXPECT_EQ(e.rfind("invalid requirement 'cuda>=12", 0), 0u) << e;
  EXPECT_NE(e.find("...: longer than 4096 bytes"), std::string::npos) << e;
  EXPECT_LT(e.size(), 200u);
}

TEST(RequirementCheck, MoreThanSixtyFourAlternativesAreRefused) {
  std::string value;
  for (int i = 0; i < 64; ++i) value += "cuda>=99 ";
  EXPECT_FALSE(holds_on(value));
  std::string e = check_error(value + "cuda>=1");
  EXPECT_NE(e.find("more than 64 alternatives"), std::string::npos) << e;
}

TEST(RequirementCheck, AHostVersionThatIsNotNumericIsAnError) {
  EXPECT_EQ(check_error("driver>=550", {"12.4", "550.54.15-open", "", {}}),
            "cannot check requirements: the host's version '550.54.15-open' is not numeric");
}
