#include <gtest/gtest.h>

#include <sstream>

#include "common/error.h"
#include "common/oci/state.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;

TEST(OciState, RuncCreateContainerFormHasNoRootAndPidOne) {
  auto s = oci::parse_state(R"({"ociVersion":"1.0.2-dev","id":"h4","status":"creating","pid":1,"bundle":"/b",)"
                            R"("annotations":{"a":"b"}})");
  EXPECT_EQ(s.id, "h4");
  EXPECT_EQ(s.pid, 1);
  EXPECT_EQ(s.bundle, "/b");
  EXPECT_TRUE(s.root.empty());
  EXPECT_EQ(s.annotations.at("a"), "b");
}

TEST(OciState, CrunFormCarriesRelativeRootAndPidZero) {
  auto s =
      oci::parse_state(R"({"ociVersion":"1.0","id":"c4","pid":0,"root":"rootfs","bundle":"/b","status":"created"})");
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(oci::container_root(s), "/b/rootfs");
}

TEST(OciState, LegacyBundlePathIsAccepted) {
  auto s = oci::parse_state(R"({"id":"x","bundlePath":"/old","root":"/abs/root"})");
  EXPECT_EQ(s.bundle, "/old");
  EXPECT_EQ(oci::container_root(s), "/abs/root");
}

TEST(OciState, MalformedJsonIsOneClearError) {
  try {
    oci::parse_state("{not json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed to decode container state"), std::string::npos);
  }
  EXPECT_THROW(oci::parse_state("[1,2]"), Error);
  EXPECT_THROW(oci::parse_state(R"({"bundle":5})"), Error);
}

TEST(OciState, RootComesFromConfigJsonRelativeToBundle) {
  TempDir d;
  test::write_file(d / "config.json", R"({"root":{"path":"rootfs"}})");
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_EQ(oci::container_root(s), d.path() / "rootfs");
}

TEST(OciState, AbsoluteRootInConfigJsonIsUsedAsIs) {
  TempDir d;
  test::write_file(d / "config.json", R"({"root":{"path":"/var/lib/x/merged/"}})");
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_EQ(oci::container_root(s), "/var/lib/x/merged");
}

TEST(OciState, ConfigWithoutRootMeansTheBundleItself) {
  TempDir d;
  test::write_file(d / "config.json", R"({"ociVersion":"1.0.2"})");
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_EQ(oci::container_root(s), d.path());
}

TEST(OciState, MissingOrMalformedConfigJsonIsAnError) {
  TempDir d;
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_THROW(oci::container_root(s), Error);
  test::write_file(d / "config.json", "{oops");
  EXPECT_THROW(oci::container_root(s), Error);
}

TEST(OciState, ReadStateTakesStdinForDashOrEmpty) {
  std::istringstream in(R"({"id":"from-stdin","bundle":"/b"})");
  EXPECT_EQ(oci::read_state("-", in).id, "from-stdin");
  TempDir d;
  test::write_file(d / "state.json", R"({"id":"from-file"})");
  std::istringstream unused;
  EXPECT_EQ(oci::read_state((d / "state.json").string(), unused).id, "from-file");
  EXPECT_THROW(oci::read_state((d / "missing.json").string(), unused), Error);
}
