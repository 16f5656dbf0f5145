// cdi.k8s.io/ container annotations requesting devices (cdi.md §2.5).
#include <gtest/gtest.h>

#include "common/cdi/edits/annotations.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;
using gpuhooks::test::error_of;

TEST(CdiAnnotations, KeyJoinsPluginAndDeviceIdReplacingSlashesInTheIdOnly) {
  EXPECT_EQ(annotation_key("vendor.gpu", "dev/0"), "cdi.k8s.io/vendor.gpu_dev_0");
}

TEST(CdiAnnotations, KeyErrors) {
  EXPECT_EQ(error_of([] { annotation_key("", "x"); }), "invalid plugin name, empty");
  EXPECT_EQ(error_of([] { annotation_key("p", ""); }), "invalid deviceID, empty");
  EXPECT_EQ(error_of([] { annotation_key(std::string(60, 'a'), "1234"); }),
            "invalid plugin+deviceID \"" + std::string(60, 'a') + "_1234\", too long");
  EXPECT_EQ(error_of([] { annotation_key("-p", "x"); }), "invalid name \"-p_x\", first '-' should be alphanumeric");
  EXPECT_EQ(error_of([] { annotation_key("p", "x-"); }), "invalid name \"p_x-\", last '-' should be alphanumeric");
  EXPECT_EQ(error_of([] { annotation_key("p", "a b"); }), "invalid name \"p_a b\", invalid character ' '");
}

TEST(CdiAnnotations, ValueJoinsQualifiedNamesWithoutSpaces) {
  EXPECT_EQ(annotation_value({"a.com/b=c", "a.com/b=d"}), "a.com/b=c,a.com/b=d");
  EXPECT_EQ(annotation_value({}), "");
  EXPECT_EQ(error_of([] { annotation_value({"nope"}); }), "unqualified device \"nope\", missing vendor");
}

TEST(CdiAnnotations, UpdateRefusesAUsedKeyAndLeavesTheMapAlone) {
  std::map<std::string, std::string> a;
  update_annotations(a, "vendor.gpu", "0", {"v.com/gpu=0"});
  EXPECT_EQ(a.at("cdi.k8s.io/vendor.gpu_0"), "v.com/gpu=0");
  EXPECT_EQ(error_of([&] { update_annotations(a, "vendor.gpu", "0", {"v.com/gpu=1"}); }),
            "CDI annotation failed, key \"cdi.k8s.io/vendor.gpu_0\" used");
  EXPECT_EQ(error_of([&] { update_annotations(a, "vendor.gpu", "1", {"bad"}); }),
            "CDI annotation failed: unqualified device \"bad\", missing vendor");
  EXPECT_EQ(a.size(), 1u);
}

TEST(CdiAnnotations, ParseCollectsPrefixedKeysOnly) {
  auto r = parse_annotations({{"cdi.k8s.io/x", "a.com/b=c,a.com/b=d"}, {"other", "junk"}});
  EXPECT_EQ(r.keys, (std::vector<std::string>{"cdi.k8s.io/x"}));
  EXPECT_EQ(r.devices, (std::vector<std::string>{"a.com/b=c", "a.com/b=d"}));
}

TEST(CdiAnnotations, ParseDoesNotTrimOrSkipEmptyItems) {
  EXPECT_EQ(error_of([] {
              parse_annotations({{"cdi.k8s.io/x", "a.com/b=c, a.com/b=d"}});
            }),
            "invalid CDI device name \" a.com/b=d\"");
  EXPECT_EQ(error_of([] { parse_annotations({{"cdi.k8s.io/x", "a.com/b=c,"}}); }), "invalid CDI device name \"\"");
  EXPECT_EQ(error_of([] { parse_annotations({{"cdi.k8s.io/x", ""}}); }), "invalid CDI device name \"\"");
}
