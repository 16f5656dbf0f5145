// update-ldcache, run as the real binary the way a runtime runs it (nvidia-hooks.md §1.4): the state on stdin, the
// reference's flags. A recorder program stands in for ldconfig where the test needs to see how it was started.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <set>

#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;
using ::testing::HasSubstr;

namespace {

const std::string kHook = test::built("nvidia-cdi-hook").string();

std::string state_for(const std::filesystem::path& root) {
  return R"({"ociVersion":"1.0.2","id":"t","status":"creating","pid":1,"bundle":"/nonexistent","root":")" +
         root.string() + R"("})";
}

test::RunResult update_ldcache(const std::filesystem::path& root, std::vector<std::string> args,
                               const std::vector<std::string>& env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}) {
  args.insert(args.begin(), {kHook, "update-ldcache"});
  return test::run(args, state_for(root), env);
}

// A static program that records its argv, environment and pid in /recorded.txt of the root it runs in, then exits
// with the number in /exit-code when that file exists.
const std::filesystem::path& recorder() {
  static TempDir dir;
  static std::filesystem::path path = [] {
    test::write_file(dir / "recorder.c", R"(
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv) {
  FILE *f = fopen("/recorded.txt", "w");
  if (!f) return 3;
  for (int i = 0; i < argc; i++) fprintf(f, "argv=%s\n", argv[i]);
  for (char **e = environ; *e; e++) fprintf(f, "env=%s\n", *e);
  fprintf(f, "pid=%d\n", (int)getpid());
  fclose(f);
  FILE *c = fopen("/exit-code", "r");
  int code = 0;
  if (c && fscanf(c, "%d", &code) != 1) code = 0;
  return code;
})");
    auto r =
        test::run({"/usr/bin/cc", "-static", "-O1", "-o", (dir / "recorder").string(), (dir / "recorder.c").string()});
    if (r.exit_code != 0) throw std::runtime_error("cannot build the recorder: " + r.err);
    return dir / "recorder";
  }();
  return path;
}

std::set<std::string> tree(const std::filesystem::path& root) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    out.insert(std::filesystem::relative(e.path(), root).string());
  return out;
}

std::string only_file_matching(const std::filesystem::path& dir, const std::string& pattern) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (std::regex_match(e.path().filename().string(), std::regex(pattern))) {
      if (!found.empty()) return "more than one";
      found = e.path().string();
    }
  return found;
}

}  // namespace

TEST(UpdateLdcache, HostLdconfigIndexesTheFolderInTheContainersCache) {
  TempDir root;
  std::filesystem::create_directories(root / "opt/nv/lib");
  std::filesystem::create_directories(root / "proc");
  std::filesystem::copy_file("/lib/x86_64-linux-gnu/libm.so.6", root / "opt/nv/lib/libm.so.6");
  auto r = update_ldcache(root.path(), {"--folder", "/opt/nv/lib"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto listing = test::run({"/sbin/ldconfig", "-p", "-C", (root / "etc/ld.so.cache").string()});
  EXPECT_THAT(listing.out, HasSubstr("libm.so.6 (libc6,x86-64) => /opt/nv/lib/libm.so.6"));
}

TEST(UpdateLdcache, LdconfigGetsTheReferenceArgvAnEmptyEnvironmentAndItsOwnPidNamespace) {
  TempDir root;
  auto r = update_ldcache(root.path(), {"--ldconfig-path", recorder().string(), "--folder", "/opt/nv"},
                          {"PATH=/bin", "LD_PRELOAD=/nonexistent/evil.so", "LD_LIBRARY_PATH=/tmp", "FOO=bar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(root / "recorded.txt"),
            "argv=recorder\nargv=-f\nargv=/etc/ld.so.conf\nargv=-C\nargv=/etc/ld.so.cache\npid=1\n");
}

TEST(UpdateLdcache, DotRealNextToTheLdconfigPathIsPreferred) {
  TempDir root, bin;
  std::filesystem::copy_file(recorder(), bin / "ldconfig.real");
  test::write_file(bin / "ldconfig", "#!/bin/sh\nexec /sbin/ldconfig.real \"$@\"\n");
  auto r = update_ldcache(root.path(), {"--ldconfig-path", (bin / "ldconfig").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(test::read_file(root / "recorded.txt"), HasSubstr("argv=ldconfig.real\n"));
  std::filesystem::remove(root / "recorded.txt");
  r = update_ldcache(root.path(), {"--ldconfig-path", (bin / "ldconfig.real").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(test::read_file(root / "recorded.txt"), HasSubstr("argv=ldconfig.real\n"));
}

TEST(UpdateLdcache, ConfigurationIsWrittenAndNothingElseIsLeftInTheRootfs) {
  TempDir root;
  std::filesystem::create_directories(root / "proc");
  auto r = update_ldcache(root.path(),
                          {"--ldconfig-path", recorder().string(), "--folder", "/opt/a,/opt/b", "--folder=/usr/lib"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto nvcr = only_file_matching(root / "etc/ld.so.conf.d", "00-nvcr-[0-9]+\\.conf");
  auto zz = only_file_matching(root / "etc/ld.so.conf.d", "zz-nvcr-[0-9]+\\.conf");
  ASSERT_FALSE(nvcr.empty());
  ASSERT_FALSE(zz.empty());
  EXPECT_EQ(test::read_file(nvcr), "/opt/a\n/opt/b\n");
  EXPECT_EQ(tree(root.path()),
            (std::set<std::string>{"proc", "etc", "etc/ld.so.conf", "etc/ld.so.conf.d", "recorded.txt",
                                   std::filesystem::relative(nvcr, root.path()).string(),
                                   std::filesystem::relative(zz, root.path()).string()}));
  EXPECT_EQ(test::read_file("/proc/self/mountinfo").find(root.path().string()), std::string::npos);
}

TEST(UpdateLdcache, FailingLdconfigIsExitOneWithOneErrorLine) {
  TempDir root;
  test::write_file(root / "exit-code", "7");
  auto r = update_ldcache(root.path(), {"--ldconfig-path", recorder().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("update-ldcache: " + recorder().string() + " exited with status 7"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(UpdateLdcache, SlashAsContainerRootIsRefused) {
  auto r = update_ldcache("/", {"--ldconfig-path", recorder().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing to run on container root \"/\""));
}

TEST(UpdateLdcache, EmptyLdconfigPathIsRefused) {
  TempDir root;
  auto r = update_ldcache(root.path(), {"--ldconfig-path", ""});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("ldconfig-path must be specified"));
}

TEST(UpdateLdcache, MissingLdconfigIsAnErrorNamingIt) {
  TempDir root;
  auto r = update_ldcache(root.path(), {"--ldconfig-path", "/nonexistent/ldconfig"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("failed to open /nonexistent/ldconfig: No such file or directory"));
}

TEST(UpdateLdcache, ConfDirSymlinkedOutOfTheRootIsRefusedAndTheHostIsUntouched) {
  TempDir root, host;
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_directory_symlink(host.path(), root / "etc/ld.so.conf.d");
  auto r = update_ldcache(root.path(), {"--ldconfig-path", recorder().string(), "--folder", "/opt/nv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("/etc/ld.so.conf.d in the container root is a symlink to " + host.path().string() +
                               "; refusing to follow it"));
  EXPECT_TRUE(std::filesystem::is_empty(host.path()));
  EXPECT_FALSE(std::filesystem::exists(root / "recorded.txt"));  // ldconfig never ran
}

TEST(UpdateLdcache, CacheSymlinkedToAHostFileIsWrittenInsideTheRoot) {
  TempDir root, host;
  test::write_file(host / "ld.so.cache", "host cache");
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_symlink(host / "ld.so.cache", root / "etc/ld.so.cache");
  auto r = update_ldcache(root.path(), {"--folder", "/opt/nv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(host / "ld.so.cache"), "host cache");
}

TEST(UpdateLdcache, ReadOnlyRootIsOneClearErrorLine) {
  TempDir root;
  const std::string script = "mount --bind " + root.path().string() + " " + root.path().string() +
                             " && mount -o remount,bind,ro " + root.path().string() + " && exec " + kHook +
                             " update-ldcache --folder /opt/nv";
  auto r = test::run({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script},
                     state_for(root.path()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("update-ldcache: container root " + root.path().string() +
                               " is read-only; cannot write its linker configuration (/etc/ld.so.conf.d)"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

namespace {

// A root whose image has a cache (built by the host ldconfig over it) and a library in /opt/nv to inject.
void image_with_cache(const std::filesystem::path& root) {
  test::write_file(root / "opt/nv/libnvsim.c", "int answer(void) { return 42; }\n");
  auto r = test::run({"/usr/bin/cc", "-shared", "-fPIC", "-Wl,-soname,libnvsim.so.1", "-o",
                      (root / "opt/nv/libnvsim.so.550.1").string(), (root / "opt/nv/libnvsim.c").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  r = test::run({"/sbin/ldconfig", "-r", root.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string cache_listing(const std::filesystem::path& root) {
  return test::run({"/sbin/ldconfig", "-p", "-C", (root / "etc/ld.so.cache").string()}).out;
}

}  // namespace

TEST(UpdateLdcacheWriter, AnImageWithACacheIsUpdatedInProcessAndLdconfigNeverRuns) {
  TempDir root;
  image_with_cache(root.path());
  auto r = update_ldcache(root.path(), {"--debug", "--ldconfig-path", recorder().string(), "--folder", "/opt/nv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root / "recorded.txt"));
  EXPECT_THAT(r.err, HasSubstr("Wrote the ldcache of " + root.path().string() + " ourselves"));
  EXPECT_THAT(cache_listing(root.path()), HasSubstr("libnvsim.so.1 (libc6,x86-64) => /opt/nv/libnvsim.so.1"));
  EXPECT_EQ(std::filesystem::read_symlink(root / "opt/nv/libnvsim.so.1"), "libnvsim.so.550.1");
  EXPECT_NE(only_file_matching(root / "etc/ld.so.conf.d", "00-nvcr-[0-9]+\\.conf"), "");
}

TEST(UpdateLdcacheWriter, UseLdconfigRunsLdconfigEvenWhenTheImageHasACache) {
  TempDir root;
  image_with_cache(root.path());
  auto r = update_ldcache(root.path(),
                          {"--debug", "--ldconfig-path", recorder().string(), "--folder", "/opt/nv", "--use-ldconfig"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(test::read_file(root / "recorded.txt"), HasSubstr("argv=recorder\n"));
  EXPECT_THAT(r.err, HasSubstr("--use-ldconfig: the ldcache is built by ldconfig"));
}

TEST(UpdateLdcacheWriter, AnImageWithoutACacheIsLeftToLdconfigAndTheLogSaysWhy) {
  TempDir root;
  auto r = update_ldcache(root.path(), {"--debug", "--ldconfig-path", recorder().string(), "--folder", "/opt/nv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(root / "recorded.txt"));
  EXPECT_THAT(r.err, HasSubstr("is left to ldconfig: the image has no /etc/ld.so.cache"));
}

TEST(UpdateLdcacheWriter, HelpNamesUseLdconfig) {
  auto r = test::run({kHook, "update-ldcache", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--use-ldconfig"));
}

// A cache symlinked to a host path is read inside the root (where the link resolves) and replaced by a file; the host
// file is never read or written.
TEST(UpdateLdcacheWriter, ACacheSymlinkIsReadInsideTheRootAndReplacedNeverWrittenThrough) {
  TempDir root, host;
  image_with_cache(root.path());
  test::write_file(host / "ld.so.cache", "host cache");
  std::filesystem::create_directories(root / host.path().relative_path());
  std::filesystem::rename(root / "etc/ld.so.cache", root / host.path().relative_path() / "ld.so.cache");
  std::filesystem::create_symlink(host / "ld.so.cache", root / "etc/ld.so.cache");
  auto r = update_ldcache(root.path(), {"--debug", "--ldconfig-path", recorder().string(), "--folder", "/opt/nv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ourselves"));
  EXPECT_EQ(test::read_file(host / "ld.so.cache"), "host cache");
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(root / "etc/ld.so.cache")));
  EXPECT_THAT(cache_listing(root.path()), HasSubstr("/opt/nv/libnvsim.so.1"));
}

TEST(UpdateLdcacheWriter, AFifoConfigurationIsOneErrorLineNamingTheRoot) {
  TempDir root;
  image_with_cache(root.path());
  std::filesystem::remove(root / "etc/ld.so.conf");
  ASSERT_EQ(::mkfifo((root / "etc/ld.so.conf").c_str(), 0644), 0);
  auto r = update_ldcache(root.path(), {"--ldconfig-path", recorder().string(), "--folder", "/opt/nv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("linker configuration file /etc/ld.so.conf is a FIFO; refusing"));
  EXPECT_THAT(r.err, HasSubstr("(container root " + root.path().string() + ")"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root / "recorded.txt"));
}
