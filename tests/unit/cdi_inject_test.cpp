// Injection into an OCI runtime spec (cdi.md §4): all-or-nothing resolution, the merge order, and each edit kind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/cdi/edits/inject.h"
#include "common/error.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;
using gpuhooks::test::TempDir;
using gpuhooks::test::write_file;
using json = nlohmann::json;

namespace {

class CdiInject : public ::testing::Test {
 protected:
  // Writes one spec file "<name>.yaml" into the dir; `body` is everything after cdiVersion/kind.
  void spec(const std::string& name, const std::string& kind, const std::string& body) {
    write_file(dir_ / (name + ".yaml"), "cdiVersion: 1.1.0\nkind: " + kind + "\n" + body);
  }
  Registry registry() { return Registry({dir_.path().string()}); }
  std::string inject_error(json& oci, const std::vector<std::string>& devices) {
    try {
      Registry r = registry();
      inject_devices(oci, r, devices);
    } catch (const gpuhooks::Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  json injected(json oci, const std::vector<std::string>& devices) {
    Registry r = registry();
    inject_devices(oci, r, devices);
    return oci;
  }
  TempDir dir_;
};

}  // namespace

TEST_F(CdiInject, UnresolvableDevicesChangeNothing) {
  spec("a", "v.com/c", "devices: [{name: d, containerEdits: {env: [A=1]}}]\n");
  json oci = {{"process", {{"env", {"X=1"}}}}};
  json before = oci;
  EXPECT_EQ(inject_error(oci, {"v.com/c=d", "nvidia.com/gpu=7", "v.com/c=e"}),
            "unresolvable CDI devices nvidia.com/gpu=7, v.com/c=e");
  EXPECT_EQ(oci, before);
  EXPECT_EQ(unresolved_devices(registry(), {"v.com/c=d", "v.com/c=x"}), std::vector<std::string>{"v.com/c=x"});
}

TEST_F(CdiInject, ReferenceExampleSpecEnvAndMinimalBlockNode) {
  spec("a", "vendor1.com/device",
       "containerEdits: {env: [VENDOR1_SPEC_VAR1=VAL1]}\n"
       "devices:\n- name: dev1\n  containerEdits:\n    env: [VENDOR1_VAR1=VAL1]\n"
       "    deviceNodes: [{path: /dev/vendor1-dev1, type: b, major: 10, minor: 1}]\n");
  EXPECT_EQ(injected(json::object(), {"vendor1.com/device=dev1"}), json::parse(R"(
    {"process":{"env":["VENDOR1_SPEC_VAR1=VAL1","VENDOR1_VAR1=VAL1"]},
     "linux":{"devices":[{"path":"/dev/vendor1-dev1","type":"b","major":10,"minor":1}],
              "resources":{"devices":[{"allow":true,"type":"b","major":10,"minor":1,"access":"rwm"}]}}})"));
}

TEST_F(CdiInject, EnvReplacesAnExistingKeyInPlaceAndLastCdiValueWins) {
  spec("a", "v.com/c", "devices: [{name: d, containerEdits: {env: [FOO=new, NEW=1, NEW=2]}}]\n");
  json out = injected({{"process", {{"env", {"FOO=old", "BAR=old"}}}}}, {"v.com/c=d"});
  EXPECT_EQ(out["process"]["env"], json({"FOO=new", "BAR=old", "NEW=2"}));
}

TEST_F(CdiInject, SpecEditsComeOncePerSpecBeforeItsFirstDevice) {
  spec("a", "a.com/c",
       "containerEdits: {env: [AG=1]}\ndevices:\n- {name: '1', containerEdits: {env: [A1=1]}}\n"
       "- {name: '2', containerEdits: {env: [A2=1]}}\n");
  spec("b", "b.com/c", "containerEdits: {env: [BG=1]}\ndevices: [{name: '1', containerEdits: {env: [B1=1]}}]\n");
  json out = injected(json::object(), {"a.com/c=1", "b.com/c=1", "a.com/c=2"});
  EXPECT_EQ(out["process"]["env"], json({"AG=1", "A1=1", "BG=1", "B1=1", "A2=1"}));
}

TEST_F(CdiInject, DeviceNodeIsFilledFromTheHostNode) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/mynull, hostPath: /dev/null}]}}]\n");
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  json out = injected(json::object(), {"v.com/c=d"});
  EXPECT_EQ(out["linux"]["devices"],
            json::parse(R"([{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":)" +
                        std::to_string(st.st_mode & 07777) + "}]"));
  EXPECT_EQ(out["linux"]["resources"]["devices"],
            json::parse(R"([{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}])"));
}

TEST_F(CdiInject, HostTypeMismatchFailsAndChangesNothing) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {env: [A=1], deviceNodes: [{path: /dev/null, type: b}]}}]\n");
  json oci = json::object();
  EXPECT_EQ(inject_error(oci, {"v.com/c=d"}),
            "failed to inject devices: CDI device (\"/dev/null\", \"/dev/null\"), host type mismatch (b, c)");
  EXPECT_EQ(oci, json::object());
}

TEST_F(CdiInject, AMissingHostNodeFailsUnlessTheNodeIsMinimal) {
  spec("a", "v.com/c",
       "devices:\n- {name: bad, containerEdits: {deviceNodes: [{path: /dev/nonexistent-gpu}]}}\n"
       "- {name: ok, containerEdits: {deviceNodes: [{path: /dev/nonexistent-gpu, type: c, major: 195, minor: 3}]}}\n");
  json oci = json::object();
  EXPECT_EQ(
      inject_error(oci, {"v.com/c=bad"}),
      "failed to inject devices: failed to stat CDI host device \"/dev/nonexistent-gpu\": No such file or directory");
  EXPECT_EQ(injected(json::object(), {"v.com/c=ok"})["linux"]["devices"],
            json::parse(R"([{"path":"/dev/nonexistent-gpu","type":"c","major":195,"minor":3}])"));
}

TEST_F(CdiInject, ARegularFileIsNotADeviceNode) {
  write_file(dir_ / "plain", "x");
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, hostPath: " + (dir_ / "plain").string() +
           "}]}}]\n");
  json oci = json::object();
  EXPECT_EQ(inject_error(oci, {"v.com/c=d"}), "failed to inject devices: failed to stat CDI host device \"" +
                                                  (dir_ / "plain").string() + "\": not a device node");
}

TEST_F(CdiInject, NodeOwnerDefaultsToTheContainerUserButNeverRoot) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, type: c, major: 1, minor: 9, "
       "fileMode: 438}]}}]\n");
  json out = injected({{"process", {{"user", {{"uid", 1000}, {"gid", 0}}}}}}, {"v.com/c=d"});
  EXPECT_EQ(out["linux"]["devices"][0],
            json::parse(R"({"path":"/dev/x","type":"c","major":1,"minor":9,"fileMode":438,"uid":1000})"));
}

TEST_F(CdiInject, PermissionsBecomeTheCgroupAccess) {
  spec(
      "a", "v.com/c",
      "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, type: c, major: 1, minor: 9, permissions: rw},"
      " {path: /dev/y, type: c, major: 1, minor: 10, permissions: none}]}}]\n");
  json out = injected(json::object(), {"v.com/c=d"});
  EXPECT_EQ(out["linux"]["resources"]["devices"],
            json::parse(R"([{"allow":true,"type":"c","major":1,"minor":9,"access":"rw"},
                            {"allow":true,"type":"c","major":1,"minor":10}])"));
}

TEST_F(CdiInject, FifoAndUnbufferedNodesGetNoCgroupRule) {
  spec("a", "v.com/c", "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/p, type: p}]}}]\n");
  json out = injected(json::object(), {"v.com/c=d"});
  EXPECT_EQ(out["linux"]["devices"], json::parse(R"([{"path":"/dev/p","type":"p","major":0,"minor":0}])"));
  EXPECT_FALSE(out["linux"].contains("resources"));
}

TEST_F(CdiInject, ADeviceNodeReplacesTheEntryWithTheSamePath) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, type: c, major: 5, minor: 5}]}}]\n");
  json oci = json::parse(R"({"linux":{"devices":[{"path":"/dev/x","type":"c","major":1,"minor":1},
                                                 {"path":"/dev/y","type":"c","major":1,"minor":2}]}})");
  EXPECT_EQ(
      injected(oci, {"v.com/c=d"})["linux"]["devices"],
      json::parse(
          R"([{"path":"/dev/y","type":"c","major":1,"minor":2},{"path":"/dev/x","type":"c","major":5,"minor":5}])"));
}

TEST_F(CdiInject, MountsReplaceByDestinationAndAllMountsSortByDepth) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {mounts: [{hostPath: /h/e, containerPath: /dest/edit},"
       " {hostPath: /h/a, containerPath: /dest/path/a, options: [ro]}]}}]\n");
  json oci = json::parse(
      R"({"mounts":[{"destination":"/dest/path/b","source":"/b"},{"destination":"/dest/path/a","source":"/old"},
                                       {"destination":"/proc","type":"proc","source":"proc"}]})");
  json out = injected(oci, {"v.com/c=d"});
  EXPECT_EQ(out["mounts"], json::parse(R"([{"destination":"/proc","type":"proc","source":"proc"},
                                           {"destination":"/dest/edit","source":"/h/e"},
                                           {"destination":"/dest/path/b","source":"/b"},
                                           {"destination":"/dest/path/a","source":"/h/a","options":["ro"]}])"));
}

TEST_F(CdiInject, BindMountsGetIdmapUnderAUserNamespace) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {mounts: [{hostPath: /a, containerPath: /a, options: [rbind]},"
       " {hostPath: /b, containerPath: /b, type: bind}, {hostPath: /c, containerPath: /c, options: [bind, "
       "idmap]}]}}]\n");
  json out = injected(json::parse(R"({"linux":{"namespaces":[{"type":"user"}]}})"), {"v.com/c=d"});
  EXPECT_EQ(out["mounts"][0]["options"], json({"rbind", "ridmap"}));
  EXPECT_EQ(out["mounts"][1]["options"], json({"idmap"}));
  EXPECT_EQ(out["mounts"][2]["options"], json({"bind", "idmap"}));
}

TEST_F(CdiInject, HooksAreAppendedPerStage) {
  spec("a", "v.com/c",
       "devices: [{name: d, containerEdits: {hooks: [{hookName: createContainer, path: /bin/h, args: [h, x],"
       " env: [A=1], timeout: 5}, {hookName: prestart, path: /bin/p}]}}]\n");
  json out = injected(json::parse(R"({"hooks":{"prestart":[{"path":"/existing"}]}})"), {"v.com/c=d"});
  EXPECT_EQ(out["hooks"], json::parse(R"({"prestart":[{"path":"/existing"},{"path":"/bin/p"}],
                                          "createContainer":[{"path":"/bin/h","args":["h","x"],"env":["A=1"],"timeout":5}]})"));
}

TEST_F(CdiInject, IntelRdtReplacesTheWholeObjectAndTheLastOneWins) {
  spec("a", "v.com/c",
       "devices:\n- {name: a, containerEdits: {intelRdt: {closID: one}}}\n"
       "- {name: b, containerEdits: {intelRdt: {closID: two, schemata: [L3:0=f], enableMonitoring: true}}}\n");
  json out = injected(json::parse(R"({"linux":{"intelRdt":{"closID":"old","memBwSchema":"MB:0=1"}}})"),
                      {"v.com/c=a", "v.com/c=b"});
  EXPECT_EQ(out["linux"]["intelRdt"], json::parse(R"({"closID":"two","schemata":["L3:0=f"],"enableMonitoring":true})"));
}

TEST_F(CdiInject, AdditionalGidsSkipZeroAndDuplicates) {
  spec("a", "v.com/c",
       "devices:\n- {name: a, containerEdits: {additionalGids: [0, 5, 44, 5]}}\n"
       "- {name: z, containerEdits: {additionalGids: [0]}}\n");
  json out = injected(json::parse(R"({"process":{"user":{"additionalGids":[44]}}})"), {"v.com/c=a"});
  EXPECT_EQ(out["process"]["user"]["additionalGids"], json({44, 5}));
  EXPECT_EQ(injected(json::object(), {"v.com/c=z"}), json::object());
}

TEST_F(CdiInject, NetDevicesAreKeyedByHostInterface) {
  spec("a", "v.com/c", "devices: [{name: a, containerEdits: {netDevices: [{hostInterfaceName: eth1, name: net1}]}}]\n");
  json out =
      injected(json::parse(R"({"linux":{"netDevices":{"eth1":{"name":"old"},"eth2":{"name":"x"}}}})"), {"v.com/c=a"});
  EXPECT_EQ(out["linux"]["netDevices"], json::parse(R"({"eth1":{"name":"net1"},"eth2":{"name":"x"}})"));
}

TEST_F(CdiInject, TheRegistryIsNeverModified) {
  spec("a", "v.com/c", "devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/null}]}}]\n");
  Registry r = registry();
  json oci = json::object();
  inject_devices(oci, r, {"v.com/c=d"});
  const DeviceNode& cached = r.find("v.com/c=d")->device->edits.device_nodes[0];
  EXPECT_EQ(cached, DeviceNode{"/dev/null"});
}

TEST_F(CdiInject, AWrongTypeInTheOciSpecIsAnErrorAndChangesNothing) {
  spec("a", "v.com/c", "devices: [{name: d, containerEdits: {env: [A=1]}}]\n");
  json oci = {{"process", {{"env", "not-a-list"}}}};
  json before = oci;
  EXPECT_EQ(inject_error(oci, {"v.com/c=d"}), "failed to inject devices: OCI spec: process.env is not an array");
  EXPECT_EQ(oci, before);
}

TEST_F(CdiInject, NoDevicesChangeNothing) {
  json oci = json::object();
  EXPECT_EQ(injected(oci, {}), json::object());
}
