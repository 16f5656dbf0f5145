#pragma once
// Container roots for the ld.so.cache writer's tests: shared objects compiled here with the soname a test asks for,
// a merged-/usr Debian-like layout, and the host's real ldconfig to build an image's cache and to list a cache.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace gpuhooks::ldcache::fixtures {

namespace fs = std::filesystem;

inline const std::vector<std::string> kPath = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};

inline void must_run(const std::vector<std::string>& argv) {
  auto r = test::run(argv, "", kPath);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " ... " << argv.back() << ": " << r.err;
}

enum class Kind { kX8664, kI386Libc6, kI386NoLibc };

// A shared object at `out` whose DT_SONAME is `soname` ("" for none). The i386 ones are linked without the C runtime
// (there is no i386 libc here): kI386Libc6 against a stub "libc.so.6", so that ldconfig calls it libc6.
inline void make_library(const fs::path& out, const std::string& soname, Kind kind = Kind::kX8664,
                         const std::string& code = "int answer(void) { return 42; }\n") {
  fs::create_directories(out.parent_path());
  const fs::path src = out.string() + ".c";
  test::write_file(src, code);
  std::vector<std::string> argv = {"/usr/bin/gcc", "-shared", "-fPIC", "-o", out, src};
  if (!soname.empty()) argv.push_back("-Wl,-soname," + soname);
  if (kind != Kind::kX8664) argv.insert(argv.end(), {"-m32", "-nostdlib"});
  if (kind == Kind::kI386Libc6) {
    const fs::path stub = out.parent_path() / ".stub" / "libc.so.6";
    fs::create_directories(stub.parent_path());
    must_run({"/usr/bin/gcc", "-m32", "-shared", "-nostdlib", "-Wl,-soname,libc.so.6", "-o", stub, src});
    argv.insert(argv.end(), {"-Wl,--no-as-needed", stub.string()});
  }
  must_run(argv);
  fs::remove(src);
  if (kind == Kind::kI386Libc6) fs::remove_all(out.parent_path() / ".stub");
}

// A Debian-like merged-/usr root: /lib -> usr/lib, /etc/ld.so.conf including /etc/ld.so.conf.d/*.conf, the multiarch
// drop-in Debian ships, and libz and libzstd copied from the host.
inline void make_debian_root(const fs::path& root) {
  fs::create_directories(root / "usr/lib/x86_64-linux-gnu");
  fs::create_symlink("usr/lib", root / "lib");
  test::write_file(root / "etc/debian_version", "12.0\n");
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                   "/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n");
  for (const std::string lib : {"libz.so.1", "libzstd.so.1"}) {
    const fs::path real = fs::canonical("/usr/lib/x86_64-linux-gnu/" + lib);
    fs::copy_file(real, root / "usr/lib/x86_64-linux-gnu" / real.filename());
    fs::create_symlink(real.filename(), root / "usr/lib/x86_64-linux-gnu" / lib);
  }
}

// The image's own cache, as its build would have left it: the host ldconfig run over the root.
inline void build_image_cache(const fs::path& root) {
  must_run({"/sbin/ldconfig", "-r", root, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache"});
}

// `ldconfig -p` of a cache file: one line per entry, in the file's order, without the count and generator lines.
inline std::vector<std::string> listing(const fs::path& cache) {
  auto r = test::run({"/sbin/ldconfig", "-p", "-C", cache}, "", kPath);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '\t') lines.push_back(line);
  return lines;
}

// Every symlink in a folder with its target, sorted: the soname links ldconfig makes.
inline std::vector<std::string> links_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_symlink()) out.push_back(e.path().filename().string() + " -> " + fs::read_symlink(e.path()).string());
  std::sort(out.begin(), out.end());
  return out;
}

inline void copy_root(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

}  // namespace gpuhooks::ldcache::fixtures
