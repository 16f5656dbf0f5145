// A container's linker configuration for update-ldcache, planned and applied (common/ldcache/linker_config_plan.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <regex>

#include "common/error.h"
#include "common/ldcache/linker_config_plan.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::error_of;
using gpuhooks::test::TempDir;
using ldcache::Arch;
using Paths = std::vector<std::string>;

namespace {

std::string file(const TempDir& root, const std::string& in_root) { return test::read_file(root / in_root.substr(1)); }

std::vector<std::string> conf_d(const TempDir& root) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(root / "etc/ld.so.conf.d"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Plans and applies, as update-ldcache does; the plan says what was written.
ldcache::LinkerConfigPlan update(const rootfs::InRoot& root, const Paths& folders, Arch arch) {
  auto plan = ldcache::plan_linker_config(root, folders, arch);
  ldcache::apply_linker_config(root, plan);
  return plan;
}

}  // namespace

TEST(LinkerConfigUpdate, LdSoConfIsCreatedWhenMissingWithTheIncludeLine) {
  TempDir root;
  auto change = update(rootfs::InRoot(root.path()), {}, Arch::kX86_64);
  EXPECT_TRUE(change.creates("/etc/ld.so.conf"));
  EXPECT_EQ(file(root, "/etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
  struct stat st {};
  ASSERT_EQ(::stat((root / "etc/ld.so.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(LinkerConfigUpdate, ExistingLdSoConfIsNeverModified) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "/opt/own\n");
  auto change = update(rootfs::InRoot(root.path()), {"/opt/new"}, Arch::kX86_64);
  EXPECT_FALSE(change.creates("/etc/ld.so.conf"));
  EXPECT_EQ(file(root, "/etc/ld.so.conf"), "/opt/own\n");
}

TEST(LinkerConfigUpdate, RemainingFoldersGoToA00NvcrDropInInRequestOrder) {
  TempDir root;
  auto change = update(rootfs::InRoot(root.path()), {"/opt/b", "/opt/a/", "/opt/b"}, Arch::kX86_64);
  EXPECT_EQ(change.added_folders, (Paths{"/opt/b", "/opt/a"}));
  EXPECT_TRUE(std::regex_match(change.folders_file, std::regex("/etc/ld\\.so\\.conf\\.d/00-nvcr-[0-9]+\\.conf")))
      << change.folders_file;
  EXPECT_EQ(file(root, change.folders_file), "/opt/b\n/opt/a\n");
  struct stat st {};
  ASSERT_EQ(::stat((root / change.folders_file.substr(1)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(LinkerConfigUpdate, FoldersAlreadyKnownAreDropped) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n/opt/direct\n");
  test::write_file(root / "etc/ld.so.conf.d/x.conf", "/opt/included\n");
  auto change = update(rootfs::InRoot(root.path()), {"/usr/lib", "/lib64", "/opt/direct", "/opt/included", "/opt/new"},
                       Arch::kX86_64);
  EXPECT_EQ(change.added_folders, (Paths{"/opt/new"}));
}

TEST(LinkerConfigUpdate, No00NvcrDropInWhenEveryFolderIsKnown) {
  TempDir root;
  auto change = update(rootfs::InRoot(root.path()), {"/usr/lib"}, Arch::kX86_64);
  EXPECT_EQ(change.folders_file, "");
  ASSERT_EQ(conf_d(root).size(), 1u);
  EXPECT_THAT(conf_d(root)[0], ::testing::MatchesRegex("zz-nvcr-[0-9]+\\.conf"));
}

TEST(LinkerConfigUpdate, ZzNvcrDropInAlwaysListsTheSystemPathsOfADebianLikeContainer) {
  TempDir root;
  test::write_file(root / "etc/debian_version", "12\n");
  auto change = update(rootfs::InRoot(root.path()), {}, Arch::kX86_64);
  EXPECT_THAT(change.system_paths_file, ::testing::MatchesRegex("/etc/ld\\.so\\.conf\\.d/zz-nvcr-[0-9]+\\.conf"));
  EXPECT_EQ(file(root, change.system_paths_file), "/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n/lib\n/usr/lib\n");
}

TEST(LinkerConfigUpdate, ZzNvcrDropInListsTheSystemPathsOfOtherContainers) {
  TempDir root;
  auto change = update(rootfs::InRoot(root.path()), {}, Arch::kAarch64);
  EXPECT_EQ(file(root, change.system_paths_file), "/lib\n/usr/lib\n/lib64\n/usr/lib64\n");
}

TEST(LinkerConfigUpdate, AlpineGetsTheFoldersAppendedToTheMuslPathFile) {
  TempDir root;
  test::write_file(root / "etc/alpine-release", "3.20.0\n");
  test::write_file(root / "etc/ld-musl-x86_64.path", "/existing\n");
  auto change = update(rootfs::InRoot(root.path()), {"/opt/nv", "/usr/lib"}, Arch::kX86_64);
  EXPECT_EQ(change.musl_path_file, "/etc/ld-musl-x86_64.path");
  EXPECT_EQ(file(root, "/etc/ld-musl-x86_64.path"),
            "/existing\n/opt/nv\n/lib\n/usr/lib\n/lib64\n/usr/lib64\n/libx32\n/usr/libx32\n");
}

TEST(LinkerConfigUpdate, AlpineArm64UsesTheAarch64MuslPathFile) {
  TempDir root;
  test::write_file(root / "etc/alpine-release", "3.20.0\n");
  update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kAarch64);
  EXPECT_EQ(file(root, "/etc/ld-musl-aarch64.path"), "/opt/nv\n/lib\n/usr/lib\n/lib64\n/usr/lib64\n");
}

TEST(LinkerConfigUpdate, NoMuslPathFileWithoutARegularAlpineRelease) {
  TempDir root;
  std::filesystem::create_directories(root / "etc/alpine-release");
  auto change = update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_EQ(change.musl_path_file, "");
  EXPECT_FALSE(std::filesystem::exists(root / "etc/ld-musl-x86_64.path"));
}

TEST(LinkerConfigUpdate, ConfDirSymlinkedToAHostPathIsRefusedAndTheHostIsUntouched) {
  TempDir root, host;
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_directory_symlink(host.path(), root / "etc/ld.so.conf.d");
  EXPECT_EQ(
      error_of([&] { update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64); }),
      "/etc/ld.so.conf.d in the container root is a symlink to " + host.path().string() + "; refusing to follow it");
  EXPECT_TRUE(std::filesystem::is_empty(host.path()));
}

TEST(LinkerConfigUpdate, EtcSymlinkedToAHostPathIsRefused) {
  TempDir root, host;
  std::filesystem::create_directory_symlink(host.path(), root / "etc");
  EXPECT_EQ(error_of([&] { update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64); }),
            "/etc in the container root is a symlink to " + host.path().string() + "; refusing to follow it");
  EXPECT_TRUE(std::filesystem::is_empty(host.path()));
}

TEST(LinkerConfigUpdate, RelativeConfDirSymlinkClimbingAboveTheRootIsRefused) {
  TempDir root;
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_directory_symlink("../../elsewhere", root / "etc/ld.so.conf.d");
  EXPECT_EQ(error_of([&] { update(rootfs::InRoot(root.path()), {}, Arch::kX86_64); }),
            "/etc/ld.so.conf.d in the container root is a symlink to ../../elsewhere; refusing to follow it");
}

TEST(LinkerConfigUpdate, RelativeConfDirSymlinkInsideTheRootIsFollowed) {
  TempDir root;
  std::filesystem::create_directories(root / "etc/conf.d.real");
  std::filesystem::create_directory_symlink("conf.d.real", root / "etc/ld.so.conf.d");
  auto change = update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_TRUE(
      std::filesystem::exists(root / "etc/conf.d.real" / std::filesystem::path(change.folders_file).filename()));
}

TEST(LinkerConfigUpdate, ConfDirLinkDepthCountsFromWhereARelativeEtcLinkLeads) {
  TempDir root;
  std::filesystem::create_directories(root / "data/etc");
  std::filesystem::create_directory_symlink("data/etc", root / "etc");
  std::filesystem::create_directory_symlink("../../conf", root / "data/etc/ld.so.conf.d");  // -> /conf: inside
  EXPECT_NO_THROW(ldcache::refuse_escaping_conf_links(rootfs::InRoot(root.path())));
  std::filesystem::remove(root / "data/etc/ld.so.conf.d");
  std::filesystem::create_directory_symlink("../../../conf", root / "data/etc/ld.so.conf.d");  // above the root
  EXPECT_EQ(error_of([&] { ldcache::refuse_escaping_conf_links(rootfs::InRoot(root.path())); }),
            "/etc/ld.so.conf.d in the container root is a symlink to ../../../conf; refusing to follow it");
}

// A restarted container runs its createContainer hooks again on the same root: nothing may pile up (the reference
// adds a zz-nvcr drop-in, and musl path lines, on every start).
TEST(LinkerConfigUpdate, RunningAgainOnTheSameRootReusesTheDropIns) {
  TempDir root;
  test::write_file(root / "etc/debian_version", "12\n");
  auto first = update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  auto names = conf_d(root);
  ASSERT_EQ(names.size(), 2u);
  auto second = update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_EQ(conf_d(root), names);
  EXPECT_EQ(second.system_paths_file, first.system_paths_file);
  EXPECT_EQ(second.folders_file, "");  // /opt/nv is configured now, through the first 00-nvcr drop-in
  EXPECT_TRUE(second.added_folders.empty());
}

TEST(LinkerConfigUpdate, AnotherFolderOnASecondRunGetsItsOwnDropIn) {
  TempDir root;
  update(rootfs::InRoot(root.path()), {"/opt/a"}, Arch::kX86_64);
  auto second = update(rootfs::InRoot(root.path()), {"/opt/a", "/opt/b"}, Arch::kX86_64);
  EXPECT_EQ(second.added_folders, (Paths{"/opt/b"}));
  EXPECT_EQ(file(root, second.folders_file), "/opt/b\n");
  EXPECT_EQ(conf_d(root).size(), 3u);
}

TEST(LinkerConfigUpdate, ASymlinkUnderADropInNameIsNeitherReusedNorWrittenThrough) {
  TempDir root;
  test::write_file(root / "etc/other.txt", "/lib\n/usr/lib\n/lib64\n/usr/lib64\n");
  std::filesystem::create_directories(root / "etc/ld.so.conf.d");
  std::filesystem::create_symlink("/etc/other.txt", root / "etc/ld.so.conf.d/zz-nvcr-1.conf");
  auto change = update(rootfs::InRoot(root.path()), {}, Arch::kAarch64);
  EXPECT_NE(change.system_paths_file, "/etc/ld.so.conf.d/zz-nvcr-1.conf");
  EXPECT_TRUE(std::filesystem::is_symlink(root / "etc/ld.so.conf.d/zz-nvcr-1.conf"));
  EXPECT_EQ(file(root, change.system_paths_file), "/lib\n/usr/lib\n/lib64\n/usr/lib64\n");
}

TEST(LinkerConfigUpdate, AlpineMuslPathFileListsEachFolderOnceAcrossRuns) {
  TempDir root;
  test::write_file(root / "etc/alpine-release", "3.20.0\n");
  test::write_file(root / "etc/ld-musl-aarch64.path", "/lib");  // no final newline in the image's file
  update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kAarch64);
  update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kAarch64);
  EXPECT_EQ(file(root, "/etc/ld-musl-aarch64.path"), "/lib\n/opt/nv\n/usr/lib\n/lib64\n/usr/lib64\n");
}

TEST(LinkerConfigPlan, PlanningWritesNothing) {
  TempDir root;
  test::write_file(root / "etc/alpine-release", "3.20.0\n");
  auto plan = ldcache::plan_linker_config(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_EQ(plan.writes.size(), 4u);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root.path())) files.push_back(e.path());
  EXPECT_EQ(files, (Paths{(root / "etc").string(), (root / "etc/alpine-release").string()}));
}

TEST(LinkerConfigPlan, ThePlanListsEachWriteInOrderWithItsContentAndReason) {
  TempDir root;
  test::write_file(root / "etc/debian_version", "12\n");
  auto plan = ldcache::plan_linker_config(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  ASSERT_EQ(plan.writes.size(), 3u);
  EXPECT_EQ(plan.writes[0], (ldcache::ConfigWrite{ldcache::ConfigWrite::Mode::kCreate, "/etc/ld.so.conf",
                                                  "include /etc/ld.so.conf.d/*.conf\n", "the root has no ld.so.conf"}));
  EXPECT_EQ(plan.writes[1].path, plan.folders_file);
  EXPECT_EQ(plan.writes[1].content, "/opt/nv\n");
  EXPECT_EQ(plan.writes[2].path, plan.system_paths_file);
  EXPECT_EQ(plan.writes[2].content, "/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n/lib\n/usr/lib\n");
  for (const auto& w : plan.writes) EXPECT_FALSE(w.why.empty()) << w.path;
}

TEST(LinkerConfigPlan, AMissingLdSoConfIsPlannedAsItWillReadSoExistingDropInsCount) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf.d/vendor.conf", "/opt/nv\n");
  auto plan = ldcache::plan_linker_config(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_TRUE(plan.creates("/etc/ld.so.conf"));
  EXPECT_TRUE(plan.added_folders.empty());
  EXPECT_EQ(plan.folders_file, "");
}

TEST(LinkerConfigPlan, OnARestartedContainerNothingIsPlanned) {
  TempDir root;
  test::write_file(root / "etc/alpine-release", "3.20.0\n");
  update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_TRUE(ldcache::plan_linker_config(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64).writes.empty());
}

TEST(LinkerConfigPlan, ANameThatAppearedAfterPlanningIsNeverOverwritten) {
  TempDir root;
  auto plan = ldcache::plan_linker_config(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  test::write_file(root / plan.system_paths_file.substr(1), "planted\n");
  EXPECT_NE(error_of([&] { ldcache::apply_linker_config(rootfs::InRoot(root.path()), plan); }), "(no error)");
  EXPECT_EQ(file(root, plan.system_paths_file), "planted\n");
}

// ---- a failed run takes back what it wrote -------------------------------------------------------------------------

namespace {
// Every entry under the root with its content or link target, to compare an image before and after.
std::string tree(const TempDir& root) {
  std::vector<std::string> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root.path())) {
    std::string line = e.path().lexically_relative(root.path()).string();
    if (e.is_symlink()) line += " -> " + std::filesystem::read_symlink(e.path()).string();
    else if (e.is_regular_file()) line += ": " + test::read_file(e.path());
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}
}  // namespace

TEST(LinkerConfigUndo, OnABareRootEverythingTheRunCreatedIsRemoved) {
  TempDir root;
  rootfs::InRoot r(root.path());
  const auto before = ldcache::linker_config_before(r);
  update(r, {"/opt/nv"}, Arch::kX86_64);
  ASSERT_NE(tree(root), "");
  ldcache::undo_linker_config(r, before);
  EXPECT_EQ(tree(root), "");
}

TEST(LinkerConfigUndo, TheImagesFilesAndDropInsOfAnEarlierStartStay) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n");
  test::write_file(root / "etc/ld.so.conf.d/00-nvcr-1.conf", "/opt/image-own\n");  // the image's, by our name
  rootfs::InRoot r(root.path());
  update(r, {"/opt/first"}, Arch::kX86_64);  // an earlier start: its drop-ins are the image's now
  const std::string earlier = tree(root);
  const auto before = ldcache::linker_config_before(r);
  auto plan = update(r, {"/opt/second"}, Arch::kX86_64);
  ASSERT_TRUE(plan.creates(plan.folders_file));
  ldcache::undo_linker_config(r, before);
  EXPECT_EQ(tree(root), earlier);
}

TEST(LinkerConfigUndo, AnLdSoConfTheImageGainedWithOtherContentStays) {
  TempDir root;
  rootfs::InRoot r(root.path());
  const auto before = ldcache::linker_config_before(r);
  test::write_file(root / "etc/ld.so.conf", "/opt/someone-else\n");
  ldcache::undo_linker_config(r, before);
  EXPECT_EQ(file(root, "/etc/ld.so.conf"), "/opt/someone-else\n");
}

// A hook killed between creating a drop-in and writing it (where the filesystem has no O_TMPFILE) leaves it empty:
// the next start fills that one instead of adding another.
TEST(LinkerConfigPlan, AnEmptyDropInOfOursIsFilledInsteadOfAddingAnother) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf.d/00-nvcr-123.conf", "");
  auto plan = update(rootfs::InRoot(root.path()), {"/opt/nv"}, Arch::kX86_64);
  EXPECT_EQ(plan.folders_file, "/etc/ld.so.conf.d/00-nvcr-123.conf");
  EXPECT_EQ(file(root, "/etc/ld.so.conf.d/00-nvcr-123.conf"), "/opt/nv\n");
  const auto names = conf_d(root);
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.rfind("00-nvcr-", 0) == 0; }),
            1);
}
