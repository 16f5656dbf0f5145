// The parts of config.json the prestart hook reads (nvidia-hooks.md §2.3, §2.5.4): env, bounding capabilities in
// both of their forms, root and mounts, with the reference's errors, and reading the file from a bundle.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/oci/container_config.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;
using gpuhooks::test::TempDir;
using gpuhooks::test::write_file;

namespace {

oci::ContainerConfig config_of(const std::string& json) { return oci::parse_container_config(json, "config.json"); }

// A config with the given ociVersion and process.capabilities JSON.
oci::ContainerConfig with_capabilities(const std::string& version, const std::string& caps) {
  return config_of(R"({"ociVersion":")" + version + R"(","process":{"capabilities":)" + caps + R"(},"root":{}})");
}

}  // namespace

TEST(OciContainerConfig, ReadsEnvCapabilitiesRootAndMounts) {
  auto c = config_of(R"({"ociVersion":"1.0.2","process":{"env":["PATH=/bin","A=b=c","E="],)"
                     R"("capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_ADMIN"]}},)"
                     R"("root":{"path":"rootfs","readonly":true},)"
                     R"("mounts":[{"destination":"/d","source":"/s","type":"bind","options":["rbind","ro"]}]})");
  EXPECT_EQ(c.oci_version, "1.0.2");
  EXPECT_EQ(c.env_value("A"), "b=c");
  EXPECT_EQ(c.env_value("E"), "");
  EXPECT_EQ(c.bounding_capabilities, (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
  EXPECT_EQ(c.root_path, "rootfs");
  EXPECT_TRUE(c.root_readonly);
  ASSERT_EQ(c.mounts.size(), 1u);
  EXPECT_EQ(c.mounts[0].destination, "/d");
  EXPECT_EQ(c.mounts[0].source, "/s");
  EXPECT_EQ(c.mounts[0].type, "bind");
  EXPECT_EQ(c.mounts[0].options, (std::vector<std::string>{"rbind", "ro"}));
}

TEST(OciContainerConfig, SetButEmptyDiffersFromUnset) {
  auto c = config_of(R"({"ociVersion":"1.0.0","process":{"env":["E="]},"root":{}})");
  EXPECT_TRUE(c.has_env("E"));
  EXPECT_EQ(c.env_value("E"), std::optional<std::string>(""));
  EXPECT_FALSE(c.has_env("U"));
  EXPECT_EQ(c.env_value("U"), std::nullopt);
}

TEST(OciContainerConfig, TheLastOfDuplicateEnvKeysWins) {
  auto c = config_of(R"({"ociVersion":"1.0.0","process":{"env":["K=1","K=2"]},"root":{}})");
  EXPECT_EQ(c.env_value("K"), "2");
}

TEST(OciContainerConfig, AnEnvEntryWithoutEqualsIsAnErrorNamingIt) {
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{"env":["A=1","JUNK"]},"root":{}})"); }),
            "config.json: invalid environment variable \"JUNK\" (no '=')");
}

TEST(OciContainerConfig, AnEnvEntryWithANewlineStaysOneLine) {
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{"env":["A\nB"]},"root":{}})"); }),
            "config.json: invalid environment variable \"A\\nB\" (no '=')");
}

TEST(OciContainerConfig, MissingVersionProcessOrRootUseTheReferenceWords) {
  EXPECT_EQ(error_of([] { config_of(R"({"process":{},"root":{}})"); }), "config.json: Version is empty in OCI spec");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","root":{}})"); }),
            "config.json: Process is empty in OCI spec");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{}})"); }),
            "config.json: Root is empty in OCI spec");
}

TEST(OciContainerConfig, NullCountsAsMissing) {
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":null,"root":{}})"); }),
            "config.json: Process is empty in OCI spec");
  auto c = config_of(R"({"ociVersion":"1.0.0","process":{"env":null,"capabilities":null},"root":{"path":null},)"
                     R"("mounts":[{"destination":"/d","source":null,"options":null}]})");
  EXPECT_TRUE(c.env.empty());
  EXPECT_TRUE(c.bounding_capabilities.empty());
  EXPECT_EQ(c.root_path, "");
  EXPECT_EQ(c.mounts.at(0).source, "");
}

TEST(OciContainerConfig, AnEmptyVersionIsPresent) {
  EXPECT_EQ(config_of(R"({"ociVersion":"","process":{},"root":{}})").oci_version, "");
}

TEST(OciContainerConfig, NotJsonIsOneLineNamingTheSource) {
  std::string e = error_of([] { config_of("{\"ociVersion\": \"1\n"); });
  EXPECT_EQ(e.rfind("config.json: could not decode OCI spec: parse error at line 2", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

// nlohmann parses and frees nested values without recursion, so a hostile depth costs memory, not the stack.
TEST(OciContainerConfig, DeepNestingIsNoCrash) {
  const size_t depth = 1u << 20;
  std::string deep =
      R"({"ociVersion":"1.0.2","process":{},"root":{},"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  EXPECT_EQ(config_of(deep).oci_version, "1.0.2");
  EXPECT_NE(error_of([&] { config_of(deep.substr(0, deep.size() - depth)); }), "(no error)");
}

TEST(OciContainerConfig, NotAnObjectIsAnError) {
  EXPECT_EQ(error_of([] { config_of("[]"); }), "config.json: could not decode OCI spec: the document is not an object");
}

TEST(OciContainerConfig, AWrongTypeIsAnErrorNamingTheField) {
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":1,"process":{},"root":{}})"); }),
            "config.json: could not decode OCI spec: ociVersion is not a string");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":[],"root":{}})"); }),
            "config.json: could not decode OCI spec: process is not an object");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{"env":"A=1"},"root":{}})"); }),
            "config.json: could not decode OCI spec: process.env is not an array of strings");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{"env":["A=1",2]},"root":{}})"); }),
            "config.json: could not decode OCI spec: process.env[1] is not a string");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{},"root":{"path":7}})"); }),
            "config.json: could not decode OCI spec: root.path is not a string");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{},"root":{"readonly":"yes"}})"); }),
            "config.json: could not decode OCI spec: root.readonly is not a boolean");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{},"root":{},"mounts":{}})"); }),
            "config.json: could not decode OCI spec: mounts is not an array");
  EXPECT_EQ(error_of([] { config_of(R"({"ociVersion":"1.0.0","process":{},"root":{},"mounts":[{"options":"ro"}]})"); }),
            "config.json: could not decode OCI spec: mounts[0].options is not an array of strings");
}

TEST(OciContainerConfig, PrivilegedMeansCapSysAdminInTheBoundingSet) {
  EXPECT_TRUE(with_capabilities("1.0.2", R"({"bounding":["CAP_SYS_ADMIN"]})").privileged());
  EXPECT_FALSE(with_capabilities("1.0.2", R"({"bounding":["CAP_CHOWN"],"effective":["CAP_SYS_ADMIN"]})").privileged());
  EXPECT_FALSE(with_capabilities("1.0.2", "{}").privileged());
  EXPECT_FALSE(config_of(R"({"ociVersion":"1.0.2","process":{},"root":{}})").privileged());
}

TEST(OciContainerConfig, CapabilitiesAreAPlainListFromRc1BeforeRc5) {
  for (const char* v : {"1.0.0-rc1", "1.0.0-rc2", "1.0.0-rc4", "1.0.0-rc2-dev", "1.0.0-rc4+build"})
    EXPECT_TRUE(with_capabilities(v, R"(["CAP_SYS_ADMIN"])").privileged()) << v;
}

TEST(OciContainerConfig, CapabilitiesAreTheObjectFormFromRc5On) {
  for (const char* v : {"1.0.0-rc5", "1.0.0-rc5-dev", "1.0.0", "1.0.2-dev", "1.1.0", "1.0", "1"})
    EXPECT_TRUE(with_capabilities(v, R"({"bounding":["CAP_SYS_ADMIN"]})").privileged()) << v;
}

TEST(OciContainerConfig, CapabilitiesAreTheObjectFormBeforeRc1) {
  for (const char* v : {"1.0.0-rc0", "1.0.0-alpha", "0.6.0"})
    EXPECT_TRUE(with_capabilities(v, R"({"bounding":["CAP_SYS_ADMIN"]})").privileged()) << v;
}

// x/mod/semver compares prerelease identifiers as text: "rc10" sorts before "rc5", so the reference reads a list.
TEST(OciContainerConfig, PrereleasesCompareAsTextSoRc10IsBeforeRc5) {
  EXPECT_TRUE(with_capabilities("1.0.0-rc10", R"(["CAP_SYS_ADMIN"])").privileged());
}

TEST(OciContainerConfig, AnUnparsableVersionReadsTheObjectForm) {
  for (const char* v : {"", "v1.0.0-rc2", "1.0-rc2", "1.0.0-rc02.x.01", "01.0.0-rc2", "1.0.0-", "garbage"})
    EXPECT_TRUE(with_capabilities(v, R"({"bounding":["CAP_SYS_ADMIN"]})").privileged()) << v;
}

TEST(OciContainerConfig, CapabilitiesInTheWrongFormAreAnError) {
  EXPECT_EQ(error_of([] { with_capabilities("1.0.2", R"(["CAP_SYS_ADMIN"])"); }),
            "config.json: could not decode OCI spec: process.capabilities is not an object");
  EXPECT_EQ(error_of([] { with_capabilities("1.0.0-rc3", R"({"bounding":[]})"); }),
            "config.json: could not decode OCI spec: process.capabilities is not an array of strings");
  EXPECT_EQ(error_of([] { with_capabilities("1.0.2", R"({"bounding":"CAP_SYS_ADMIN"})"); }),
            "config.json: could not decode OCI spec: process.capabilities.bounding is not an array of strings");
}

TEST(OciContainerConfig, ReadsConfigJsonFromTheBundle) {
  TempDir dir;
  write_file(dir / "config.json", R"({"ociVersion":"1.0.2","process":{"env":["A=1"]},"root":{"path":"rootfs"}})");
  EXPECT_EQ(oci::read_container_config(dir.path().string()).env_value("A"), "1");
  EXPECT_EQ(oci::read_container_config(dir.path().string() + "/").root_path, "rootfs");
}

TEST(OciContainerConfig, AMissingFileIsOneLineNamingThePath) {
  TempDir dir;
  std::string path = (dir / "config.json").string();
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + path + "\": could not open OCI spec: No such file or directory");
}

TEST(OciContainerConfig, ADirectoryIsAnError) {
  TempDir dir;
  std::filesystem::create_directory(dir / "config.json");
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + (dir / "config.json").string() + "\": could not read OCI spec: is a directory");
}

TEST(OciContainerConfig, AFifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "config.json").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + (dir / "config.json").string() + "\": could not read OCI spec: not a regular file");
}

TEST(OciContainerConfig, AnUnreadableFileIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads a mode-000 file";
  TempDir dir;
  write_file(dir / "config.json", "{}");
  std::filesystem::permissions(dir / "config.json", std::filesystem::perms::none);
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + (dir / "config.json").string() + "\": could not open OCI spec: Permission denied");
}

// /proc/self/mem is a regular file whose first page is unmapped: read(2) fails with EIO, for root too.
TEST(OciContainerConfig, AFileThatFailsToReadIsAnError) {
  TempDir dir;
  std::filesystem::create_symlink("/proc/self/mem", dir / "config.json");
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + (dir / "config.json").string() + "\": could not read OCI spec: Input/output error");
}

TEST(OciContainerConfig, AFileOverSixteenMibIsRefused) {
  TempDir dir;
  std::string big = R"({"ociVersion":"1.0.2","process":{},"root":{},"x":")" + std::string(16u << 20, 'a') + "\"}";
  write_file(dir / "config.json", big);
  EXPECT_EQ(error_of([&] { oci::read_container_config(dir.path().string()); }),
            "\"" + (dir / "config.json").string() + "\": could not read OCI spec: larger than 16 MiB");
}

TEST(OciContainerConfig, ANewlineInTheBundlePathStaysOneLine) {
  TempDir dir;
  std::filesystem::create_directory(dir / "a\nb");
  write_file(dir / "a\nb" / "config.json", R"({"process":{},"root":{}})");
  EXPECT_EQ(error_of([&] { oci::read_container_config((dir / "a\nb").string()); }),
            "\"" + dir.path().string() + "/a\\nb/config.json\": Version is empty in OCI spec");
}

TEST(OciContainerConfig, QuoteEscapesItsMarkBackslashAndControlBytes) {
  EXPECT_EQ(oci::quote("a\"b\\c\n\t\x1b\x7f"), "\"a\\\"b\\\\c\\n\\t\\x1b\\x7f\"");
  EXPECT_EQ(oci::quote("it's \"x\"", '\''), "'it\\'s \"x\"'");
  EXPECT_EQ(oci::quote("gpu\xc3\xa9"), "\"gpu\xc3\xa9\"");
}
