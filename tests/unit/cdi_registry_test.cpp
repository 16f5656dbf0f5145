// The spec registry (cdi.md §3): dirs by priority, name order, per-file errors, conflicts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/cdi/registry/registry.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;
using gpuhooks::test::TempDir;
using gpuhooks::test::write_file;

namespace {

std::string spec_yaml(const std::string& kind, const std::vector<std::string>& devices,
                      const std::string& env = "A=1") {
  std::string s = "cdiVersion: 0.6.0\nkind: " + kind + "\ndevices:\n";
  for (const auto& d : devices) s += "- name: " + d + "\n  containerEdits: {env: [" + env + "]}\n";
  return s;
}

using Names = std::vector<std::string>;

}  // namespace

TEST(CdiRegistry, DefaultDirsAreEtcThenVarRun) {
  EXPECT_EQ(Registry::default_spec_dirs(), (Names{"/etc/cdi", "/var/run/cdi"}));
}

TEST(CdiRegistry, ListsDevicesSortedByQualifiedName) {
  TempDir d;
  write_file(d / "b.yaml", spec_yaml("v.com/gpu", {"1", "0"}));
  write_file(d / "a.json", spec_yaml("a.com/x", {"z"}));
  Registry r({d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"a.com/x=z", "v.com/gpu=0", "v.com/gpu=1"}));
  EXPECT_TRUE(r.errors().empty());
}

TEST(CdiRegistry, OnlyJsonAndYamlFilesAreRead) {
  TempDir d;
  for (auto n : {"a.yml", "b.JSON", "c.json.bak", "d.txt"})
    write_file(d / n, spec_yaml("v.com/c", {n[0] == 'a' ? "a" : "b"}));
  write_file(d / "e.yaml", spec_yaml("v.com/c", {"e"}));
  Registry r({d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=e"}));
}

TEST(CdiRegistry, SubdirectoriesAreNotScanned) {
  TempDir d;
  write_file(d / "sub.yaml" / "x.yaml", spec_yaml("v.com/c", {"deep"}));
  write_file(d / "top.yaml", spec_yaml("v.com/c", {"top"}));
  Registry r({d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=top"}));
  EXPECT_TRUE(r.errors().empty());
}

TEST(CdiRegistry, LaterDirWins) {
  TempDir a, b;
  write_file(a / "s.yaml", spec_yaml("v.com/c", {"d"}, "FROM=a"));
  write_file(b / "s.yaml", spec_yaml("v.com/c", {"d"}, "FROM=b"));
  Registry r({a.path().string(), b.path().string()});
  ASSERT_TRUE(r.find("v.com/c=d"));
  EXPECT_EQ(r.find("v.com/c=d")->device->edits.env[0], "FROM=b");
  EXPECT_EQ(r.find("v.com/c=d")->spec->priority, 1);
}

TEST(CdiRegistry, ABadFileRecordsItsErrorAndHidesNothing) {
  TempDir d;
  write_file(d / "a.yaml", "cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: dev1}]\n");
  write_file(d / "b.yaml", spec_yaml("v.com/c", {"good"}));
  Registry r({d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=good"}));
  std::string a = (d / "a.yaml").string();
  EXPECT_EQ(r.errors(),
            (std::vector<RegistryError>{
                {a, "invalid CDI Spec \"" + a + "\": devices[0].containerEdits: invalid device, empty device edits"}}));
}

TEST(CdiRegistry, ParseErrorsAreRecordedPerFile) {
  TempDir d;
  write_file(d / "a.json", "");
  Registry r({d.path().string()});
  std::string a = (d / "a.json").string();
  EXPECT_EQ(r.errors_for(a), (Names{"failed to parse CDI Spec \"" + a + "\", no Spec data"}));
}

TEST(CdiRegistry, SameDeviceInTwoFilesOfOneDirIsDroppedAndBothFilesGetTheError) {
  TempDir d;
  write_file(d / "a.yaml", spec_yaml("v.com/c", {"q", "onlya"}));
  write_file(d / "b.yaml", spec_yaml("v.com/c", {"q", "onlyb"}));
  Registry r({d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=onlya", "v.com/c=onlyb"}));
  std::string a = (d / "a.yaml").string(), b = (d / "b.yaml").string();
  std::string msg = "conflicting device \"v.com/c=q\" (specs \"" + b + "\", \"" + a + "\")";
  EXPECT_EQ(r.errors_for(a), Names{msg});
  EXPECT_EQ(r.errors_for(b), Names{msg});
  EXPECT_EQ(r.specs().size(), 2u);
}

TEST(CdiRegistry, AHigherPriorityDefinitionSurvivesALowerDirConflict) {
  TempDir low, high;
  write_file(low / "a.yaml", spec_yaml("v.com/c", {"q"}));
  write_file(low / "b.yaml", spec_yaml("v.com/c", {"q"}));
  write_file(high / "c.yaml", spec_yaml("v.com/c", {"q"}, "FROM=high"));
  Registry r({low.path().string(), high.path().string()});
  ASSERT_TRUE(r.find("v.com/c=q"));
  EXPECT_EQ(r.find("v.com/c=q")->device->edits.env[0], "FROM=high");
  EXPECT_EQ(r.errors().size(), 2u);
}

TEST(CdiRegistry, AnInvalidHigherPriorityFileLeavesTheLowerDefinitionActive) {
  TempDir low, high;
  write_file(low / "a.yaml", spec_yaml("v.com/c", {"q"}, "FROM=low"));
  write_file(high / "a.yaml", spec_yaml("v.com/c", {"q"}, "BROKEN"));
  Registry r({low.path().string(), high.path().string()});
  ASSERT_TRUE(r.find("v.com/c=q"));
  EXPECT_EQ(r.find("v.com/c=q")->device->edits.env[0], "FROM=low");
  EXPECT_EQ(r.errors_for((high / "a.yaml").string()).size(), 1u);
}

TEST(CdiRegistry, AMissingDirIsSkippedSilently) {
  TempDir d;
  write_file(d / "a.yaml", spec_yaml("v.com/c", {"x"}));
  Registry r({"/nonexistent/cdi", d.path().string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=x"}));
  EXPECT_TRUE(r.errors().empty());
}

TEST(CdiRegistry, ADirThatIsAFileIsAnErrorAndLaterDirsAreStillRead) {
  TempDir d;
  write_file(d / "file", "x");
  write_file(d / "dir" / "a.yaml", spec_yaml("v.com/c", {"x"}));
  std::string f = (d / "file").string();
  Registry r({f, (d / "dir").string()});
  EXPECT_EQ(r.device_names(), (Names{"v.com/c=x"}));
  EXPECT_EQ(r.errors(),
            (std::vector<RegistryError>{{f, "failed to read CDI spec directory \"" + f + "\": Not a directory"}}));
}

TEST(CdiRegistry, DirsAreCleaned) {
  TempDir d;
  write_file(d / "a.yaml", spec_yaml("v.com/c", {"x"}));
  Registry r({d.path().string() + "//./"});
  EXPECT_EQ(r.spec_dirs(), Names{d.path().string()});
  EXPECT_EQ(r.find("v.com/c=x")->spec->path, (d / "a.yaml").string());
}

TEST(CdiRegistry, LookupIsByExactString) {
  TempDir d;
  write_file(d / "a.yaml", spec_yaml("vendor.com/class", {"x"}));
  Registry r({d.path().string()});
  EXPECT_TRUE(r.find("vendor.com/class=x"));
  EXPECT_FALSE(r.find("Vendor.com/class=x"));
  EXPECT_EQ(r.find("vendor.com/class=x")->spec->vendor, "vendor.com");
  EXPECT_EQ(r.find("vendor.com/class=x")->spec->class_name, "class");
}
