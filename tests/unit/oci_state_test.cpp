#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
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

// The root is read from config.json without building the document, with the document's rules.
std::filesystem::path root_of_config(const TempDir& d, const std::string& config) {
  test::write_file(d / "config.json", config);
  oci::State s;
  s.bundle = d.path().string();
  return oci::container_root(s);
}

TEST(OciState, OnlyTheTopLevelRootsPathNamesTheRoot) {
  TempDir d;
  EXPECT_EQ(root_of_config(d, R"({"process":{"root":{"path":"/evil"}},"annotations":{"root":"/evil"},)"
                              R"("mounts":[{"root":{"path":"/evil"}}],"root":{"readonly":true,"path":"r",)"
                              R"("x":{"path":"/evil"}}})"),
            d.path() / "r");
  EXPECT_EQ(root_of_config(d, R"({"root":{"x":[{"path":"/evil"}]}})"), d.path());
}

TEST(OciState, TheLastRootAndTheLastPathWinAsInTheDocument) {
  TempDir d;
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":"a"},"root":{"path":"b"}})"), d.path() / "b");
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":"a","path":"c"}})"), d.path() / "c");
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":"a"},"root":"b"})"), d.path());
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":"a"},"root":{}})"), d.path());
}

TEST(OciState, ARootOrPathOfAnotherTypeMeansTheBundleItself) {
  TempDir d;
  EXPECT_EQ(root_of_config(d, R"({"root":["rootfs"]})"), d.path());
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":7}})"), d.path());
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":null}})"), d.path());
  EXPECT_EQ(root_of_config(d, R"({"root":{"path":{"path":"x"}}})"), d.path());
}

TEST(OciState, AConfigJsonThatIsNotAnObjectOrNotJsonIsOneLineNamingTheFile) {
  TempDir d;
  const std::string file = "failed to load OCI spec \"" + (d / "config.json").string() + "\"";
  for (const char* bad : {R"([{"root":{"path":"r"}}])", R"("r")", "{\"root\":{\"path\":\"r\"}"}) {
    try {
      root_of_config(d, bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_EQ(what.rfind(file + ": ", 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
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

// One line that names the file, whatever stands in config.json's place (the stream read said only
// "basic_filebuf::underflow error reading the file: Is a directory").
std::string root_error(const oci::State& s) {
  try {
    oci::container_root(s);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OciState, AConfigJsonThatIsADirectoryIsAnErrorNamingTheFile) {
  TempDir d;
  std::filesystem::create_directory(d / "config.json");
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_EQ(root_error(s), "failed to load OCI spec \"" + (d / "config.json").string() + "\": is a directory");
}

TEST(OciState, AConfigJsonThatIsAFifoIsRefusedWithoutBlocking) {
  TempDir d;
  ASSERT_EQ(::mkfifo((d / "config.json").c_str(), 0644), 0);
  oci::State s;
  s.bundle = d.path().string();
  EXPECT_EQ(root_error(s), "failed to load OCI spec \"" + (d / "config.json").string() + "\": not a regular file");
}

TEST(OciState, ABundlePathWithANewlineIsQuotedInTheError) {
  oci::State s;
  s.bundle = "/nonexistent/a\nb";
  const std::string what = root_error(s);
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_NE(what.find("\"/nonexistent/a\\nb/config.json\""), std::string::npos) << what;
}

TEST(OciState, AStateFileThatIsADirectoryIsAnErrorNamingIt) {
  TempDir d;
  std::istringstream unused;
  try {
    oci::read_state(d.path().string(), unused);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "failed to open container state \"" + d.path().string() + "\": is a directory");
  }
}
