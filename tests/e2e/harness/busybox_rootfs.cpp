#include "e2e/harness/busybox_rootfs.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

// The layout is scripts/make-busybox-rootfs's (one source for tests, demo and bench); these are its inputs, so a
// change to any of them builds a new template.
const std::vector<std::string> kInputs = {"/bin/busybox",
                                          "/sbin/ldconfig",
                                          "/lib64/ld-linux-x86-64.so.2",
                                          "/lib/x86_64-linux-gnu/libc.so.6",
                                          "/lib/x86_64-linux-gnu/libm.so.6",
                                          "/lib/x86_64-linux-gnu/libstdc++.so.6",
                                          "/lib/x86_64-linux-gnu/libgcc_s.so.1"};

fs::path script() { return test::source_dir() / "scripts/make-busybox-rootfs"; }

std::string digest_of_inputs() {
  std::ostringstream key;
  key << test::read_file(script());
  for (const auto& p : kInputs) {
    auto real = fs::canonical(p);  // throws with the path if an input is missing: say so, not a later odd failure
    key << '|' << real.string() << ':' << fs::file_size(real) << ':'
        << fs::last_write_time(real).time_since_epoch().count();
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(key.str()));
  return hex;
}

void build_rootfs(const fs::path& r) {
  auto result = test::run({"/bin/bash", script().string(), r.string()});
  if (result.exit_code != 0) throw std::runtime_error("make-busybox-rootfs failed: " + result.err);
}

}  // namespace

fs::path cache_dir() { return test::built("e2e-cache"); }

const fs::path& busybox_rootfs_template() {
  static const fs::path path = [] {
    fs::path final_path = cache_dir() / ("busybox-rootfs-" + digest_of_inputs());
    if (fs::is_directory(final_path)) return final_path;
    fs::create_directories(cache_dir());
    fs::path tmp = final_path;
    tmp += ".tmp-" + std::to_string(::getpid());
    fs::remove_all(tmp);
    build_rootfs(tmp);
    // rename(2) is atomic: a concurrent builder either wins or finds the finished template; never a half-built one.
    std::error_code ec;
    fs::rename(tmp, final_path, ec);
    if (ec) {
      fs::remove_all(tmp);
      if (!fs::is_directory(final_path)) throw std::runtime_error("cannot create " + final_path.string());
    }
    return final_path;
  }();
  return path;
}

void copy_busybox_rootfs(const fs::path& dest) {
  fs::create_directories(dest.parent_path());
  fs::copy(busybox_rootfs_template(), dest, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

}  // namespace gpuhooks::e2e
