// A container's ld.so.conf with its include lines (common/ldcache/ld_so_conf.h). The input is up to five files cut
// at '\0' bytes: the first is /etc/ld.so.conf (given as text), the others /etc/ld.so.conf.d/<n>.conf and
// /etc/<n>.conf, written into a scratch root, so include patterns, relative includes and include cycles are reached.
#include <fstream>

#include "common/ldcache/ld_so_conf.h"
#include "common/rootfs/in_root.h"
#include "tests/fuzz/fuzz_support.h"

namespace fs = std::filesystem;

namespace {

constexpr size_t kIncludedFiles = 4;

void write_or_remove(const fs::path& file, const std::string* content) {
  std::error_code ec;
  if (content == nullptr) {
    fs::remove(file, ec);
    return;
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << *content;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root = [] {
    fs::path r = gpuhooks::fuzz::scratch_dir() / "root";
    fs::create_directories(r / "etc/ld.so.conf.d");
    fs::create_directories(r / "usr/lib/x86_64-linux-gnu");
    return r;
  }();
  static const gpuhooks::rootfs::InRoot in_root(root);
  std::vector<std::string> parts = gpuhooks::fuzz::split_parts(gpuhooks::fuzz::as_text(data, size));
  for (size_t i = 0; i < kIncludedFiles; ++i) {
    const std::string* content = i + 1 < parts.size() ? &parts[i + 1] : nullptr;
    // Two in the conventional directory, two beside ld.so.conf (for relative includes).
    fs::path file = i < 2 ? root / "etc/ld.so.conf.d" / (std::to_string(i) + ".conf")
                          : root / "etc" / (std::to_string(i) + ".conf");
    write_or_remove(file, content);
  }
  gpuhooks::fuzz::expect_no_crash([&] {
    for (const auto& dir : gpuhooks::ldcache::configured_dirs(in_root, "/etc/ld.so.conf", parts[0]))
      (void)gpuhooks::ldcache::normalise_dir(dir);
  });
  return 0;
}
