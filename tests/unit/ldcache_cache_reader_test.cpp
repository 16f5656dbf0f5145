// ld.so.cache reader: caches written by the real /sbin/ldconfig over small shared objects compiled here, and
// damaged files that must fail with a message naming the file and the fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "common/ldcache/cache_reader.h"
#include "support/test_support.h"

namespace gpuhooks::ldcache {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

const std::vector<std::string> kPathEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};

void run_ok(const std::vector<std::string>& argv) {
  auto r = test::run(argv, "", kPathEnv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " " << argv.back() << ": " << r.err;
}

// A shared object with `soname`; -m32 objects are linked without the C runtime (no i386 libc here) but against a
// stub "libc.so.6" so that ldconfig classifies them as libc6 like a real i386 library.
void compile_library(const fs::path& out, const std::string& soname, bool i386 = false) {
  fs::create_directories(out.parent_path());
  fs::path src = out.parent_path() / (out.filename().string() + ".c");
  test::write_file(src, "int answer(void) { return 42; }\n");
  std::vector<std::string> argv = {"/usr/bin/gcc", "-shared", "-fPIC", "-Wl,-soname," + soname, "-o", out, src};
  if (i386) {
    fs::path stub = out.parent_path() / "stub" / "libc.so.6";
    fs::create_directories(stub.parent_path());
    run_ok({"/usr/bin/gcc", "-m32", "-shared", "-nostdlib", "-Wl,-soname,libc.so.6", "-o", stub, src});
    argv = {"/usr/bin/gcc", "-m32", "-shared", "-nostdlib",          "-fPIC",      "-Wl,-soname," + soname,
            "-o",           out,    src,       "-Wl,--no-as-needed", stub.string()};
  }
  run_ok(argv);
  fs::remove(src);
}

// Runs ldconfig chrooted into `root` so the cache lists exactly the directories of /etc/ld.so.conf there.
fs::path build_cache(const fs::path& root, const std::vector<std::string>& dirs) {
  std::string conf;
  for (const auto& d : dirs) conf += d + "\n";
  test::write_file(root / "etc/ld.so.conf", conf);
  run_ok({"/sbin/ldconfig", "-r", root, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache"});
  return root / "etc/ld.so.cache";
}

const CacheEntry* find(const std::vector<CacheEntry>& entries, const std::string& key) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

std::string expect_error(std::string_view bytes) {
  try {
    parse_cache(bytes, "/x/ld.so.cache");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// One cache for the whole suite: compiling and running ldconfig is the slow part.
class RealCache : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir;
    compile_library(*root_ / "opt/lib/libfoo.so.1.2.3", "libfoo.so.1");
    compile_library(*root_ / "opt/lib/libbar.so.7.0", "libbar.so.7.0");
    compile_library(*root_ / "opt/lib32/libfoo.so.1.2.3", "libfoo.so.1", /*i386=*/true);
    fs::remove_all(*root_ / "opt/lib32/stub");
    cache_ = build_cache(root_->path(), {"/opt/lib", "/opt/lib32"});
  }
  static void TearDownTestSuite() { delete root_; }
  static inline TempDir* root_ = nullptr;
  static inline fs::path cache_;
};

TEST_F(RealCache, ListsEverySonameLdconfigIndexedWithItsPath) {
  auto entries = read_cache(cache_);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : entries) got.emplace_back(e.key, e.path);
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(
                       std::pair<std::string, std::string>{"libfoo.so.1", "/opt/lib/libfoo.so.1"},
                       std::pair<std::string, std::string>{"libfoo.so.1", "/opt/lib32/libfoo.so.1"},
                       std::pair<std::string, std::string>{"libbar.so.7.0", "/opt/lib/libbar.so.7.0"}));
}

TEST_F(RealCache, MarksSixtyFourBitLibrariesAsLibc6X8664) {
  auto entries = read_cache(cache_);
  const CacheEntry* bar = find(entries, "libbar.so.7.0");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ(bar->flags, kFlagElfLibc6 | kFlagArchX8664);
  EXPECT_EQ(bar->arch(), Arch::kX86_64);
  EXPECT_TRUE(bar->is_elf());
  EXPECT_EQ(describe_flags(bar->flags), "libc6,x86-64");
}

TEST_F(RealCache, MarksI386LibrariesWithoutArchBitsForCompat32) {
  auto entries = read_cache(cache_);
  auto it =
      std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.path == "/opt/lib32/libfoo.so.1"; });
  ASSERT_NE(it, entries.end());
  EXPECT_EQ(it->flags, kFlagElfLibc6);
  EXPECT_EQ(it->arch(), Arch::kI386);
  EXPECT_EQ(describe_flags(it->flags), "libc6");
}

TEST_F(RealCache, ReadsTheNewFormatBehindAnOldLd_so_1_7_0Header) {
  std::string bytes = test::read_file(cache_);
  std::string old_header("ld.so-1.7.0\0\0\0\0\0", 16);  // magic, pad, nlibs = 0: new header follows at offset 16
  auto entries = parse_cache(old_header + bytes, "combined");
  EXPECT_EQ(entries, read_cache(cache_));
}

TEST_F(RealCache, ReadsTheNewFormatBehindAnOldHeaderWithEntriesAndPadding) {
  std::string bytes = test::read_file(cache_);
  std::string old(16 + 12 + 4, '\0');  // one 12-byte old entry, then 4 bytes of padding to the 8-byte boundary
  old.replace(0, 11, "ld.so-1.7.0");
  old[12] = 1;
  EXPECT_EQ(parse_cache(old + bytes, "combined"), read_cache(cache_));
}

TEST_F(RealCache, RejectsATruncatedEntryTableNamingTheCounts) {
  std::string bytes = test::read_file(cache_).substr(0, 48 + 24 + 10);
  EXPECT_EQ(
      expect_error(bytes),
      "ld.so.cache /x/ld.so.cache: truncated: header announces 3 entries (120 bytes) but the section has 82 bytes");
}

TEST_F(RealCache, RejectsAStringOffsetOutsideTheFile) {
  std::string bytes = test::read_file(cache_);
  uint32_t far = 0x7fffffff;
  bytes.replace(48 + 4, 4, reinterpret_cast<const char*>(&far), 4);  // first entry's key
  EXPECT_EQ(expect_error(bytes), "ld.so.cache /x/ld.so.cache: entry 0 key offset 2147483647 is outside the file");
}

TEST_F(RealCache, RejectsAStringWithoutItsTerminatingNul) {
  std::string bytes = test::read_file(cache_);
  uint32_t last = static_cast<uint32_t>(bytes.size() - 1);
  bytes.back() = 'x';
  bytes.replace(48 + 8, 4, reinterpret_cast<const char*>(&last), 4);  // first entry's value: the last byte
  EXPECT_EQ(expect_error(bytes), "ld.so.cache /x/ld.so.cache: entry 0 value is not NUL-terminated");
}

TEST_F(RealCache, RejectsABigEndianCache) {
  std::string bytes = test::read_file(cache_);
  bytes[28] = 3;
  EXPECT_EQ(expect_error(bytes), "ld.so.cache /x/ld.so.cache: big-endian cache on a little-endian host");
}

TEST(CacheReader, RejectsAFileWithoutEitherMagic) {
  EXPECT_EQ(expect_error("hello world, this is not a cache at all............................"),
            "ld.so.cache /x/ld.so.cache: not an ld.so.cache (no \"glibc-ld.so.cache\" or \"ld.so-1.7.0\" magic)");
}

TEST(CacheReader, RejectsAnEmptyFile) {
  EXPECT_EQ(expect_error(""),
            "ld.so.cache /x/ld.so.cache: not an ld.so.cache (no \"glibc-ld.so.cache\" or \"ld.so-1.7.0\" magic)");
}

TEST(CacheReader, RejectsAHeaderCutShort) {
  EXPECT_EQ(expect_error("glibc-ld.so.cache1.1\x01\0\0\0"), "ld.so.cache /x/ld.so.cache: truncated in the header");
}

TEST(CacheReader, RejectsAnUnsupportedVersion) {
  std::string bytes(48, '\0');
  bytes.replace(0, 20, "glibc-ld.so.cache1.2");
  EXPECT_EQ(expect_error(bytes), "ld.so.cache /x/ld.so.cache: unsupported format version \"1.2\" (want 1.1)");
}

TEST(CacheReader, RejectsAnOldOnlyCache) {
  std::string bytes(16, '\0');
  bytes.replace(0, 11, "ld.so-1.7.0");
  EXPECT_EQ(expect_error(bytes),
            "ld.so.cache /x/ld.so.cache: old-format cache without a \"glibc-ld.so.cache1.1\" "
            "section is not supported");
}

TEST(CacheReader, ReadsAnEmptyCacheAsNoEntries) {
  std::string bytes(48, '\0');
  bytes.replace(0, 20, "glibc-ld.so.cache1.1");
  bytes[28] = 2;
  EXPECT_TRUE(parse_cache(bytes, "empty").empty());
}

TEST(CacheReader, NamesAMissingFile) {
  TempDir dir;
  try {
    read_cache(dir / "nope");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "ld.so.cache " + (dir / "nope").string() + ": cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace gpuhooks::ldcache
