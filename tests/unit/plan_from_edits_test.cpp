// Filling a plan from CDI edits (common/plan/from_edits.h): what each kind of edit becomes in a prestart hook.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/plan/from_edits.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using test::error_of;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

cdi::Hook our_hook(std::vector<std::string> args, const std::string& path = "/usr/bin/nvidia-cdi-hook") {
  return {"createContainer", path, std::move(args), {"NVIDIA_CTK_DEBUG=false"}, std::nullopt};
}

Plan plan_of(const cdi::ContainerEdits& e) { return plan_from_edits({&e}); }

TEST(PlanFromEdits, ADeviceNodeIsFilledFromTheHostAndGetsACgroupRule) {
  cdi::ContainerEdits e;
  e.device_nodes = {{"/dev/gpu-null", "/dev/null"}};
  Plan p = plan_of(e);
  EXPECT_THAT(p.device_nodes, ElementsAre(DeviceNode{"/dev/gpu-null", "/dev/null", 'c', 1, 3}));
  EXPECT_THAT(p.cgroup_rules, ElementsAre(CgroupRule{'c', 1, 3, "rwm"}));
}

TEST(PlanFromEdits, TheNodesPermissionsAreTheRulesAccess) {
  cdi::ContainerEdits e;
  e.device_nodes = {{"/dev/null"}};
  e.device_nodes[0].permissions = "r";
  EXPECT_THAT(plan_of(e).cgroup_rules, ElementsAre(CgroupRule{'c', 1, 3, "r"}));
}

TEST(PlanFromEdits, ANodeTheHostLacksIsAnError) {
  cdi::ContainerEdits e;
  e.device_nodes = {{"/dev/gpuhooks-no-such-node"}};
  EXPECT_THAT(error_of([&] { plan_of(e); }), ::testing::HasSubstr("/dev/gpuhooks-no-such-node"));
}

TEST(PlanFromEdits, MountsKeepTheirReadOnlyAndNoexecOptions) {
  cdi::ContainerEdits e;
  e.mounts = {{"/h/lib.so", "/c/lib.so", {"ro", "nosuid", "nodev", "rbind"}, ""},
              {"/h/socket", "/c/socket", {"nosuid", "nodev", "rbind", "noexec"}, ""}};
  EXPECT_THAT(plan_of(e).mounts,
              ElementsAre(Mount{"/h/lib.so", "/c/lib.so", true, false}, Mount{"/h/socket", "/c/socket", false, true}));
}

TEST(PlanFromEdits, AMountThatIsNotABindIsTheRuntimesToMake) {
  cdi::ContainerEdits e;
  e.mounts = {{"tmpfs", "/scratch", {"size=1m"}, "tmpfs"}};
  EXPECT_EQ(error_of([&] { plan_of(e); }), "CDI mount of type tmpfs at /scratch cannot be made by a prestart hook");
}

TEST(PlanFromEdits, CreateSymlinksBecomesLinksInEveryFlagSpelling) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "create-symlinks", "--link", "a::/x/a,b::/x/b", "--link=c::/x/c"}),
             our_hook({"nvidia-ctk", "hook", "create-symlinks", "--link", "d::/x/d"}, "/usr/bin/nvidia-ctk")};
  EXPECT_THAT(plan_of(e).links,
              ElementsAre(Link{"a", "/x/a"}, Link{"b", "/x/b"}, Link{"c", "/x/c"}, Link{"d", "/x/d"}));
}

TEST(PlanFromEdits, AnInvalidLinkIsAnError) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "create-symlinks", "--link", "a::b::c"})};
  EXPECT_EQ(error_of([&] { plan_of(e); }), "invalid symlink specification a::b::c");
}

TEST(PlanFromEdits, UpdateLdcacheBecomesFoldersWithItsLdconfig) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "update-ldcache", "--ldconfig-path", "/sbin/ldconfig.real", "--folder",
                       "/usr/lib64", "--folder", "/opt/a,/opt/b"})};
  Plan p = plan_of(e);
  EXPECT_THAT(p.ldcache_folders, ElementsAre("/usr/lib64", "/opt/a", "/opt/b"));
  EXPECT_EQ(p.ldconfig_path, "/sbin/ldconfig.real");
}

TEST(PlanFromEdits, UpdateLdcacheWithoutLdconfigPathUsesTheHooksDefault) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib64"})};
  EXPECT_EQ(plan_of(e).ldconfig_path, "/sbin/ldconfig");
}

TEST(PlanFromEdits, OurOtherHooksRunInProcessAndAnotherVendorsAsAChild) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "enable-cuda-compat", "--host-driver-version=580.1"}),
             {"createContainer", "/opt/vendor/hook", {"hook", "x"}, {}, 5}};
  Plan p = plan_of(e);
  EXPECT_THAT(p.own_hooks, ElementsAre("enable-cuda-compat", "--host-driver-version=580.1"));
  EXPECT_THAT(p.hooks, ElementsAre(Hook{"/opt/vendor/hook", {"hook", "x"}, {}, 5}));
}

TEST(PlanFromEdits, OurOneProcessHookIsSplitIntoLinksFoldersAndOurOtherHooksInProcess) {
  cdi::ContainerEdits e;
  e.hooks = {our_hook({"nvidia-cdi-hook", "create-symlinks", "--link", "a::/x/a", "--", "enable-cuda-compat",
                       "--host-driver-version=580.1", "--", "update-ldcache", "--folder", "/usr/lib64", "--",
                       "disable-device-node-modification"})};
  Plan p = plan_of(e);
  EXPECT_THAT(p.links, ElementsAre(Link{"a", "/x/a"}));
  EXPECT_THAT(p.ldcache_folders, ElementsAre("/usr/lib64"));
  EXPECT_THAT(p.hooks, IsEmpty());
  EXPECT_THAT(p.own_hooks, ElementsAre("enable-cuda-compat", "--host-driver-version=580.1", "--",
                                       "disable-device-node-modification"));
}

TEST(PlanFromEdits, HooksOfOtherStagesCannotRunFromAPrestartHook) {
  cdi::ContainerEdits e;
  e.hooks = {{"poststop", "/bin/true", {}, {}, std::nullopt}, {"prestart", "/bin/true", {}, {}, std::nullopt}};
  EXPECT_THAT(plan_of(e).hooks, IsEmpty());
}

TEST(PlanFromEdits, EditsOfSeveralSpecsAndDevicesMergeWithoutDuplicates) {
  cdi::ContainerEdits common, dev0, dev1;
  common.env = {"NVIDIA_VISIBLE_DEVICES=void"};
  common.mounts = {{"/h/lib", "/c/lib", {"ro"}, ""}};
  dev0.device_nodes = {{"/dev/null"}};
  dev1.device_nodes = {{"/dev/null"}, {"/dev/zero"}};
  Plan p = plan_from_edits({&common, &dev0, &dev1});
  EXPECT_THAT(p.env, ElementsAre("NVIDIA_VISIBLE_DEVICES=void"));
  EXPECT_EQ(p.device_nodes.size(), 2u);
  EXPECT_EQ(p.cgroup_rules.size(), 2u);
  EXPECT_EQ(p.mounts.size(), 1u);
}

}  // namespace
}  // namespace gpuhooks::plan
