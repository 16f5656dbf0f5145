// The in-root API against hostile roots. Every escape test runs twice: with openat2 and with the fallback walk used
// on kernels without it, which must give the same answers.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/random_bits.h"
#include "common/rootfs/in_root.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::rootfs::Follow;
using gpuhooks::rootfs::InRoot;
using gpuhooks::test::TempDir;
namespace fs = std::filesystem;

class InRootTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    rootfs::force_fallback_walk(GetParam());
    fs::create_directories(root());
    fs::create_directories(host());
    test::write_file(host() / "secret", "host");
  }
  void TearDown() override { rootfs::force_fallback_walk(false); }
  fs::path root() const { return dir_ / "root"; }
  fs::path host() const { return dir_ / "host"; }  // stands for the host outside the container root
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Resolution, InRootTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "FallbackWalk" : "Openat2"; });

TEST_P(InRootTest, AbsoluteSymlinkIsReRootedAtTheContainerRoot) {
  fs::create_directories(root() / "lib");
  fs::create_symlink(host(), root() / "lib" / "escape");    // absolute host path
  fs::create_directories(root() / host().relative_path());  // the same path inside the root
  InRoot r(root());
  r.symlink("libfoo.so.1", "/lib/escape/libfoo.so");
  EXPECT_FALSE(fs::exists(fs::symlink_status(host() / "libfoo.so")));
  EXPECT_TRUE(fs::is_symlink(root() / host().relative_path() / "libfoo.so"));
}

TEST_P(InRootTest, DotDotIsClampedAtTheRoot) {
  fs::create_directories(root() / "lib");
  fs::create_symlink("../../../../..", root() / "lib" / "up");
  InRoot r(root());
  r.symlink("target", "/lib/up/libfoo.so");
  EXPECT_TRUE(fs::is_symlink(root() / "libfoo.so"));
  r.write_file("/../../../etc/x.conf", "x", 0644);
  EXPECT_EQ(test::read_file(root() / "etc/x.conf"), "x");
}

TEST_P(InRootTest, DanglingSymlinkToAHostPathIsRefusedAndNothingIsCreatedOutside) {
  fs::create_directories(root() / "lib");
  fs::create_symlink(host() / "newdir", root() / "lib" / "escape");
  InRoot r(root());
  EXPECT_THROW(r.symlink("libfoo.so.1", "/lib/escape/libfoo.so"), Error);
  EXPECT_THROW(r.write_file("/lib/escape/x.conf", "x", 0644), Error);
  EXPECT_FALSE(fs::exists(host() / "newdir"));
}

TEST_P(InRootTest, RelativeSymlinkClimbingOutLandsInside) {
  fs::create_directories(root() / "host");
  fs::create_symlink("../../host", root() / "out");
  InRoot r(root());
  r.write_file("/out/secret", "container", 0644);
  EXPECT_EQ(test::read_file(host() / "secret"), "host");
  EXPECT_EQ(test::read_file(root() / "host/secret"), "container");
}

TEST_P(InRootTest, SymlinkedParentToHostFileIsNeverWrittenThrough) {
  fs::create_directories(root() / "etc");
  fs::create_symlink(host() / "secret", root() / "etc" / "ld.so.conf");
  InRoot r(root());
  r.append_file("/etc/ld.so.conf.d/../x", "y", 0644);
  EXPECT_EQ(test::read_file(host() / "secret"), "host");
  // A final symlink is never followed for appends or exclusive creates.
  EXPECT_THROW(r.append_file("/etc/ld.so.conf", "evil", 0644), Error);
  EXPECT_THROW(r.create_file("/etc/ld.so.conf", "evil", 0644), Error);
  EXPECT_EQ(test::read_file(host() / "secret"), "host");
}

TEST_P(InRootTest, WriteFileReplacesAFinalSymlinkInsteadOfFollowingIt) {
  fs::create_directories(root() / "etc");
  fs::create_symlink(host() / "secret", root() / "etc" / "profile");
  InRoot r(root());
  r.write_file("/etc/profile", "container", 0644);
  EXPECT_EQ(test::read_file(host() / "secret"), "host");
  EXPECT_FALSE(fs::is_symlink(root() / "etc/profile"));
  EXPECT_EQ(test::read_file(root() / "etc/profile"), "container");
}

TEST_P(InRootTest, ChmodLeavesASymlinkToAHostFileAlone) {
  fs::permissions(host() / "secret", fs::perms(0600));
  fs::create_symlink(host() / "secret", root() / "dev-link");
  InRoot r(root());
  EXPECT_FALSE(r.chmod("/dev-link", 0777));
  EXPECT_EQ(fs::status(host() / "secret").permissions(), fs::perms(0600));
}

TEST_P(InRootTest, ChmodThroughASymlinkedParentChangesTheInRootFile) {
  fs::create_directories(root() / "real");
  test::write_file(root() / "real/f", "");
  test::write_file(host() / "f", "");
  fs::permissions(host() / "f", fs::perms(0600));
  fs::create_symlink("/real", root() / "alias");
  InRoot r(root());
  EXPECT_TRUE(r.chmod("/alias/f", 0751));
  EXPECT_EQ(fs::status(root() / "real/f").permissions(), fs::perms(0751));
  EXPECT_EQ(fs::status(host() / "f").permissions(), fs::perms(0600));
}

TEST_P(InRootTest, MkdirAllCreatesMissingParentsInside) {
  InRoot r(root());
  r.mkdir_all("/a/b/c", 0755);
  EXPECT_TRUE(fs::is_directory(root() / "a/b/c"));
  r.mkdir_all("/a/b/c", 0755);  // idempotent
}

// The common case, only the last directory missing, takes its parent's resolution: through a symlinked parent it
// is made where the walk would make it, inside the root.
TEST_P(InRootTest, MkdirAllMakesTheLastMissingDirectoryWhereItsParentResolvesInside) {
  fs::create_directories(root() / "real-etc");
  fs::create_symlink("/real-etc", root() / "etc");
  fs::create_symlink(host(), root() / "real-etc" / "host-link");
  InRoot r(root());
  auto fd = r.mkdir_all("/etc/ld.so.conf.d", 0755);
  EXPECT_TRUE(fd.valid());
  EXPECT_TRUE(fs::is_directory(root() / "real-etc/ld.so.conf.d"));
  // A symlink to a host folder under the last name is re-rooted, never made or written through on the host.
  EXPECT_THROW(r.mkdir_all("/etc/host-link", 0755), Error);
  EXPECT_THROW(r.mkdir_all("/etc/host-link/x", 0755), Error);
  EXPECT_FALSE(fs::exists(host() / "x"));
}

TEST_P(InRootTest, AFileWhereADirectoryIsExpectedIsAnError) {
  test::write_file(root() / "etc", "not a dir");
  InRoot r(root());
  EXPECT_THROW(r.mkdir_all("/etc/ld.so.conf.d"), Error);
  EXPECT_THROW(r.write_file("/etc/x", "y", 0644), Error);
  int err = 0;
  EXPECT_FALSE(r.try_open("/etc/x", O_PATH, Follow::kAll, &err).valid());
  EXPECT_EQ(err, ENOTDIR);
}

TEST_P(InRootTest, SymlinkLoopIsELOOP) {
  fs::create_symlink("b", root() / "a");
  fs::create_symlink("a", root() / "b");
  InRoot r(root());
  int err = 0;
  EXPECT_FALSE(r.try_open("/a/x", O_PATH, Follow::kAll, &err).valid());
  EXPECT_EQ(err, ELOOP);
}

TEST_P(InRootTest, SymlinkReplacesAtomicallyAndKeepsTargetVerbatim) {
  InRoot r(root());
  r.symlink("/usr/lib/libcuda.so.1", "/usr/lib/libcuda.so");
  r.symlink("libcuda.so.550", "/usr/lib/libcuda.so");
  EXPECT_EQ(fs::read_symlink(root() / "usr/lib/libcuda.so"), "libcuda.so.550");
  EXPECT_EQ(*r.readlink("/usr/lib/libcuda.so"), "libcuda.so.550");
  test::write_file(root() / "usr/lib/plain", "file");
  r.symlink("x", "/usr/lib/plain");  // a regular file is replaced
  EXPECT_TRUE(fs::is_symlink(root() / "usr/lib/plain"));
  for (auto& e : fs::directory_iterator(root() / "usr/lib"))
    EXPECT_EQ(e.path().filename().string().find(".gpuhooks-"), std::string::npos) << "temporary left behind";
}

TEST_P(InRootTest, SymlinkOverADirectoryIsAnError) {
  fs::create_directories(root() / "usr/lib/dir/child");
  InRoot r(root());
  EXPECT_THROW(r.symlink("x", "/usr/lib/dir"), Error);
  EXPECT_TRUE(fs::is_directory(root() / "usr/lib/dir/child"));
}

TEST_P(InRootTest, ResolveGivesTheInRootPathWithSymlinksResolved) {
  fs::create_directories(root() / "etc/alternatives/cuda/compat");
  fs::create_directories(root() / "usr/local");
  fs::create_symlink("/etc/alternatives/cuda", root() / "usr/local/cuda");
  InRoot r(root());
  EXPECT_EQ(r.resolve("/usr/local/cuda/compat"), "/etc/alternatives/cuda/compat");
  EXPECT_EQ(r.resolve("/"), "/");
}

TEST_P(InRootTest, ReadsAndListsThroughTheRoot) {
  test::write_file(root() / "dev/a", "1");
  test::write_file(root() / "dev/b", "22");
  InRoot r(root());
  auto names = r.list_dir("/dev");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.read_file("/dev/b"), "22");
  EXPECT_TRUE(r.is_regular_file("/dev/a"));
  EXPECT_TRUE(r.is_directory("/dev"));
  EXPECT_FALSE(r.exists("/dev/c"));
}

// A listing is read whole, past one getdents64 buffer, from the start of the directory whatever the fd has read.
TEST_P(InRootTest, AListingHoldsEveryNameWithItsTypeFromTheStartOfTheDirectory) {
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    want.push_back(std::string(100, 'n') + std::to_string(i));
    test::write_file(root() / "many" / want.back(), "");
  }
  fs::create_directories(root() / "many" / "sub");
  want.push_back("sub");
  std::sort(want.begin(), want.end());
  UniqueFd dir(::open((root() / "many").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  for (int pass = 0; pass < 2; ++pass) {
    auto names = rootfs::list_open_dir(dir.get());
    ASSERT_TRUE(names);
    std::sort(names->begin(), names->end());
    EXPECT_EQ(*names, want);
  }
  std::map<std::string, unsigned char> types;
  EXPECT_TRUE(rootfs::for_each_entry(
      dir.get(), [&](std::string_view name, unsigned char type) { types[std::string(name)] = type; }));
  EXPECT_EQ(types.size(), want.size());
  EXPECT_TRUE(types["sub"] == DT_DIR || types["sub"] == DT_UNKNOWN);
  EXPECT_TRUE(types[want.front()] == DT_REG || types[want.front()] == DT_UNKNOWN);
  UniqueFd not_a_dir(::open((root() / "many" / want.front()).c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(rootfs::list_open_dir(not_a_dir.get()), std::nullopt);
}

// The lookup that expects a missing directory says so without an exception; list_dir still throws, naming the path.
TEST_P(InRootTest, TryListDirIsNothingForAMissingPathOrAFileAndTheNamesForADirectory) {
  test::write_file(root() / "dev/a", "1");
  fs::create_symlink("/", root() / "escape");
  InRoot r(root());
  EXPECT_EQ(r.try_list_dir("/missing"), std::nullopt);
  EXPECT_EQ(r.try_list_dir("/dev/a"), std::nullopt);
  EXPECT_EQ(r.try_list_dir("/dev"), (std::vector<std::string>{"a"}));
  // A link to "/" is resolved inside the root: it names the root itself, never the host's "/".
  auto through_link = r.try_list_dir("/escape");
  ASSERT_TRUE(through_link);
  std::sort(through_link->begin(), through_link->end());
  EXPECT_EQ(*through_link, (std::vector<std::string>{"dev", "escape"}));
  EXPECT_THROW(r.list_dir("/missing"), Error);
}

TEST_P(InRootTest, RemoveDeletesFilesLinksAndEmptyDirsOnly) {
  test::write_file(root() / "x/f", "");
  fs::create_symlink(host() / "secret", root() / "x/l");
  InRoot r(root());
  r.remove("/x/l");
  EXPECT_TRUE(fs::exists(host() / "secret"));
  r.remove("/x/f");
  r.remove("/x/missing");
  r.remove("/x");
  EXPECT_FALSE(fs::exists(root() / "x"));
}

// A full disk or a file size limit stops the write half way: the name must not stay behind, empty or cut, for a
// later run to take as complete (or as someone else's).
class CreateFile : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { rootfs::force_named_create(GetParam()); }
  void TearDown() override { rootfs::force_named_create(false); }
};
INSTANTIATE_TEST_SUITE_P(Ways, CreateFile, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "NameFirst" : "Unnamed"; });

TEST_P(CreateFile, AFileWhoseWriteFailsIsNotLeftBehind) {
  TempDir root;
  InRoot r(root.path());
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of the signal's kill
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string message = test::error_of([&] { r.create_file("/etc/big.conf", std::string(64 << 10, 'x'), 0644); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(message, "failed to write /etc/big.conf: File too large");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "etc/big.conf")));
  EXPECT_TRUE(fs::is_empty(root / "etc"));
}

TEST_P(CreateFile, AnExistingNameIsNeverOverwritten) {
  TempDir root;
  test::write_file(root / "etc/ld.so.conf", "the image's\n");
  InRoot r(root.path());
  EXPECT_NE(test::error_of([&] { r.create_file("/etc/ld.so.conf", "ours\n", 0644); }), "(no error)");
  EXPECT_EQ(test::read_file(root / "etc/ld.so.conf"), "the image's\n");
}

TEST_P(CreateFile, TheNewFileHasItsContentAndMode) {
  TempDir root;
  InRoot r(root.path());
  r.create_file("/etc/ld.so.conf.d/00-x.conf", "/opt/x\n", 0640);
  EXPECT_EQ(test::read_file(root / "etc/ld.so.conf.d/00-x.conf"), "/opt/x\n");
  EXPECT_EQ(fs::status(root / "etc/ld.so.conf.d/00-x.conf").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(InRoot, MissingRootIsAClearError) {
  try {
    InRoot r("/nonexistent/gpuhooks/root");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/gpuhooks/root"), std::string::npos);
  }
}

TEST(InRoot, SplitParentRejectsPathsWithoutAName) {
  EXPECT_EQ(rootfs::split_parent("/a/b/c"), (std::pair<std::string, std::string>{"/a/b", "c"}));
  EXPECT_EQ(rootfs::split_parent("c"), (std::pair<std::string, std::string>{"/", "c"}));
  EXPECT_THROW(rootfs::split_parent("/"), Error);
  EXPECT_THROW(rootfs::split_parent("/a/.."), Error);
}

// A name from an image or a bundle goes into one error line: control bytes must not split or forge it.
TEST(InRootPrintable, PrintableNamesStayAsTheyAreOthersAreQuoted) {
  EXPECT_EQ(rootfs::printable(std::string("/run/containers/abc/rootfs")), "/run/containers/abc/rootfs");
  EXPECT_EQ(rootfs::printable(std::string("/b\nerror: forged")), "\"/b\\nerror: forged\"");
  EXPECT_EQ(rootfs::printable(std::string("/b\x1b[2J")), "\"/b\\x1b[2J\"");
  EXPECT_EQ(rootfs::printable(std::string("/a\"b")), "\"/a\\\"b\"");
}

TEST(InRootPrintable, AMissingRootWithANewlineIsOneLine) {
  try {
    InRoot r(std::filesystem::path("/nonexistent/root\nerror: forged"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"/nonexistent/root\\nerror: forged\""), std::string::npos) << e.what();
  }
}

// Temporary names come from getrandom(2): two names in a row differ.
TEST(RandomBits, TwoDrawsDiffer) { EXPECT_NE(random_bits(), random_bits()); }

// Many links at once: a new name is made, a link already pointing at its target is left, anything else under the
// name is replaced; each result is known as it is made, so after a failure the caller still knows what was done.
TEST_P(InRootTest, SymlinkAllMakesLeavesOrReplacesAndReportsProgressUpToAFailure) {
  fs::create_directories(root() / "lib");
  fs::create_symlink("a.so.1", root() / "lib/same.so");
  fs::create_symlink("old", root() / "lib/other.so");
  fs::create_symlink(host() / "newdir", root() / "lib/escape");
  InRoot r(root());
  using Made = InRoot::LinkMade;
  std::vector<Made> made;
  r.symlink_all({{"a.so.1", "/lib/new.so"},
                 {"a.so.1", "/lib/same.so"},
                 {"a.so.1", "/lib/other.so"},
                 {"x", "/usr/lib64/deep/new.so"}},
                made);
  EXPECT_EQ(made, (std::vector<Made>{Made::kCreated, Made::kUnchanged, Made::kReplaced, Made::kCreated}));
  EXPECT_EQ(fs::read_symlink(root() / "lib/other.so"), "a.so.1");
  EXPECT_EQ(fs::read_symlink(root() / "usr/lib64/deep/new.so"), "x");
  // A parent that is a link to a host folder fails (as symlink() does), after the link before it was made.
  EXPECT_THROW(r.symlink_all({{"b", "/lib/b.so"}, {"y", "/lib/escape/evil.so"}, {"d", "/lib/d.so"}}, made), Error);
  EXPECT_EQ(made, (std::vector<Made>{Made::kCreated}));
  EXPECT_FALSE(fs::exists(host() / "newdir"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "lib/d.so")));
}

// A link made at a folder already looked up in the same batch: the later links under that name follow the new link,
// as one symlink() call after another would.
TEST_P(InRootTest, SymlinkAllResolvesAFolderAnewOnceALinkReplacedIt) {
  fs::create_directories(root() / "z");
  fs::create_directories(root() / "y");
  fs::create_directories(root() / "a");
  fs::create_symlink("/z", root() / "a/b");
  InRoot r(root());
  std::vector<InRoot::LinkMade> made;
  r.symlink_all({{"t1", "/a/b/c"}, {"/y", "/a/b"}, {"t2", "/a/b/d"}}, made);
  EXPECT_EQ(fs::read_symlink(root() / "z/c"), "t1");
  EXPECT_EQ(fs::read_symlink(root() / "y/d"), "t2");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "z/d")));
}
