// Vendor, class and device-name grammars and qualified names (cdi.md §2.1-2.2).
#include <gtest/gtest.h>

#include "common/cdi/spec/names.h"
#include "common/error.h"

using namespace gpuhooks::cdi;

TEST(CdiNames, VendorMayBeASingleLetter) { EXPECT_EQ(vendor_name_error("a"), std::nullopt); }

TEST(CdiNames, VendorAllowsDotsDashesUnderscoresAndUpperCase) {
  EXPECT_EQ(vendor_name_error("Nvidia_Corp.com-x"), std::nullopt);
}

TEST(CdiNames, VendorEmpty) { EXPECT_EQ(vendor_name_error(""), "invalid vendor. empty name"); }

TEST(CdiNames, VendorMustStartWithALetter) {
  EXPECT_EQ(vendor_name_error("1vendor.com"), "invalid vendor. \"1vendor.com\", should start with letter");
}

TEST(CdiNames, VendorInvalidMiddleCharacter) {
  EXPECT_EQ(vendor_name_error("ven=dor"), "invalid vendor. invalid character '=' in name \"ven=dor\"");
}

TEST(CdiNames, VendorMustEndWithLetterOrDigit) {
  EXPECT_EQ(vendor_name_error("vendor."), "invalid vendor. \"vendor.\", should end with a letter or digit");
}

TEST(CdiNames, ClassErrorsSayClass) {
  EXPECT_EQ(class_name_error("_gpu"), "invalid class. \"_gpu\", should start with letter");
  EXPECT_EQ(class_name_error(""), "invalid class. empty name");
}

TEST(CdiNames, NonAsciiIsInvalidAndShownWhole) {
  EXPECT_EQ(class_name_error("gp\xc3\xbcx"), "invalid class. invalid character '\xc3\xbc' in name \"gp\xc3\xbcx\"");
}

TEST(CdiNames, DeviceNameMayStartWithDigitAndContainColons) {
  EXPECT_EQ(device_name_error("0"), std::nullopt);
  EXPECT_EQ(device_name_error("0:1"), std::nullopt);
  EXPECT_EQ(device_name_error("GPU-8f6b_x.y"), std::nullopt);
}

TEST(CdiNames, DeviceNameEmpty) { EXPECT_EQ(device_name_error(""), "invalid (empty) device name"); }

TEST(CdiNames, DeviceNameBadFirstCharacterSaysClassAsTheReference) {
  EXPECT_EQ(device_name_error("_x"), "invalid class \"_x\", should start with a letter or digit");
}

TEST(CdiNames, DeviceNameBadMiddleCharacter) {
  EXPECT_EQ(device_name_error("a/b"), "invalid character '/' in device name \"a/b\"");
  EXPECT_EQ(device_name_error("a=b"), "invalid character '=' in device name \"a=b\"");
}

TEST(CdiNames, DeviceNameBadLastCharacter) {
  EXPECT_EQ(device_name_error("a:"), "invalid name \"a:\", should end with a letter or digit");
}

TEST(CdiNames, QualifiedNameIsVendorSlashClassEqualsName) {
  EXPECT_EQ(qualified_name("nvidia.com", "gpu", "0"), "nvidia.com/gpu=0");
}

TEST(CdiNames, ParseDeviceSplitsAtFirstEqualsThenFirstSlash) {
  EXPECT_EQ(parse_device("v.com/c=a=b"), (QualifiedName{"v.com", "c", "a=b"}));
  EXPECT_EQ(parse_device("v.com/a/b=x"), (QualifiedName{"v.com", "a/b", "x"}));
}

TEST(CdiNames, ParseDeviceLeavesHostPathsAndBrokenNamesUnqualified) {
  for (auto s : {"/dev/null", "", "noequals", "=x", "v.com/c=", "v.com=x", "/c=x", "v.com/=x"})
    EXPECT_EQ(parse_device(s), (QualifiedName{"", "", s})) << s;
}

TEST(CdiNames, ParseQualifiedNameMissingVendor) {
  EXPECT_EQ(qualified_name_error("gpu0"), "unqualified device \"gpu0\", missing vendor");
  EXPECT_THROW(parse_qualified_name("gpu0"), gpuhooks::Error);
}

TEST(CdiNames, ParseQualifiedNameWrapsPartErrors) {
  EXPECT_EQ(qualified_name_error("1v.com/gpu=0"),
            "invalid device \"1v.com/gpu=0\": invalid vendor. \"1v.com\", should start with letter");
  EXPECT_EQ(qualified_name_error("v.com/a/b=x"),
            "invalid device \"v.com/a/b=x\": invalid class. invalid character '/' in name \"a/b\"");
  EXPECT_EQ(qualified_name_error("v.com/c=a=b"),
            "invalid device \"v.com/c=a=b\": invalid character '=' in device name \"a=b\"");
}

TEST(CdiNames, ValidQualifiedName) {
  EXPECT_TRUE(is_qualified_name("nvidia.com/gpu=all"));
  EXPECT_EQ(parse_qualified_name("nvidia.com/gpu=0:1"), (QualifiedName{"nvidia.com", "gpu", "0:1"}));
}
