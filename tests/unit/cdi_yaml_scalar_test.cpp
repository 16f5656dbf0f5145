// YAML 1.1 scalar resolution and the string coercion of sigs.k8s.io/yaml (cdi.md §1.1 rule 5).
#include <gtest/gtest.h>

#include "common/cdi/spec/yaml_scalar.h"

using namespace gpuhooks::cdi;
using Type = PlainScalar::Type;

TEST(CdiYamlScalar, ZeroIsAnIntegerAndBecomesTheStringZero) {
  EXPECT_EQ(resolve_plain("0").type, Type::kInt);
  EXPECT_EQ(plain_as_string("0"), "0");
}

TEST(CdiYamlScalar, YesOnAndYAreTrue) {
  for (auto w : {"yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True", "TRUE"}) {
    EXPECT_EQ(resolve_plain(w).type, Type::kBool) << w;
    EXPECT_EQ(plain_as_string(w), "true") << w;
  }
}

TEST(CdiYamlScalar, NoOffAndNAreFalse) {
  for (auto w : {"no", "off", "OFF", "n", "N", "false"}) EXPECT_EQ(plain_as_string(w), "false") << w;
}

TEST(CdiYamlScalar, NullSpellingsBecomeEmptyString) {
  for (auto w : {"~", "null", "Null", "NULL"}) {
    EXPECT_EQ(resolve_plain(w).type, Type::kNull) << w;
    EXPECT_EQ(plain_as_string(w), "") << w;
  }
}

TEST(CdiYamlScalar, LeadingZeroIsOctal) {
  EXPECT_EQ(resolve_plain("0644").int_value, 420);
  EXPECT_EQ(plain_as_string("01"), "1");
  EXPECT_EQ(plain_as_string("010"), "8");
}

TEST(CdiYamlScalar, InvalidOctalDigitsFallBackToFloat) { EXPECT_EQ(plain_as_string("09"), "9"); }

TEST(CdiYamlScalar, HexBinaryAndUnderscores) {
  EXPECT_EQ(resolve_plain("0x1F").int_value, 31);
  EXPECT_EQ(resolve_plain("-0b11").int_value, -3);
  EXPECT_EQ(resolve_plain("1_000").int_value, 1000);
}

TEST(CdiYamlScalar, FloatsFormatAsGoFloat32G) {
  EXPECT_EQ(plain_as_string("1.0"), "1");
  EXPECT_EQ(plain_as_string("1.5"), "1.5");
  EXPECT_EQ(plain_as_string("1.10"), "1.1");
  EXPECT_EQ(plain_as_string("1e6"), "1e+06");
  EXPECT_EQ(plain_as_string(".5"), "0.5");
  EXPECT_EQ(format_float_g32(123456789.0), "1.2345679e+08");
  EXPECT_EQ(format_float_g32(0.0001), "0.0001");
  EXPECT_EQ(format_float_g32(0.00001), "1e-05");
  EXPECT_EQ(format_float_g32(123456.0), "123456");
}

TEST(CdiYamlScalar, InfinityAndNanKeepYamlSpelling) {
  EXPECT_EQ(plain_as_string(".inf"), ".inf");
  EXPECT_EQ(plain_as_string("-.Inf"), "-.inf");
  EXPECT_EQ(plain_as_string(".NaN"), ".nan");
}

TEST(CdiYamlScalar, AFiniteValueBeyondFloat32IsAnInfinity) {
  // Go's FormatFloat(v, 'g', -1, 32) converts to float32 first, which overflows.
  EXPECT_EQ(format_float_g32(1e300), "+Inf");
  EXPECT_EQ(format_float_g32(-1e39), "-Inf");
  EXPECT_EQ(plain_as_string("1e39"), ".inf");
  EXPECT_EQ(plain_as_string("888888888888888888888888888888888888888881"), ".inf");  // beyond uint64: a float
  EXPECT_EQ(plain_as_string("1e-50"), "0");
}

TEST(CdiYamlScalar, VersionLikeTextStaysAString) {
  EXPECT_EQ(resolve_plain("0.5.0").type, Type::kString);
  EXPECT_EQ(plain_as_string("0.5.0"), "0.5.0");
  EXPECT_EQ(plain_as_string("GPU-8f6"), "GPU-8f6");
  EXPECT_EQ(plain_as_string("2001-12-14"), "2001-12-14");
}

TEST(CdiYamlScalar, Uint64AboveInt64IsUnsigned) {
  auto r = resolve_plain("18446744073709551615");
  EXPECT_EQ(r.type, Type::kUint);
  EXPECT_EQ(plain_as_string("18446744073709551615"), "18446744073709551615");
}

TEST(CdiYamlScalar, GoParseIntRules) {
  int64_t v = 0;
  EXPECT_TRUE(parse_go_int("+5", v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(parse_go_int("0o17", v));
  EXPECT_EQ(v, 15);
  EXPECT_FALSE(parse_go_int("0x", v));
  EXPECT_FALSE(parse_go_int("9223372036854775808", v));
  EXPECT_TRUE(parse_go_int("-9223372036854775808", v));
  uint64_t u = 0;
  EXPECT_FALSE(parse_go_uint("+1", u));
}
