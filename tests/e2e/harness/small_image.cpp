#include "e2e/harness/small_image.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "e2e/harness/fixtures.h"
#include "support/test_support.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {

void make_small_image(const fs::path& root) {
  test::write_file(root / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  test::write_file(root / "etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n");
  fs::create_directories(root / "usr/lib/x86_64-linux-gnu");
  fs::copy_file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", root / "usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
  fs::create_symlink("libz.so.1.2.13", root / "usr/lib/x86_64-linux-gnu/libz.so.1");
  const fs::path driver = root / fs::path(kSmallImageDriverDir).relative_path();
  fs::create_directories(driver);
  test::TempDir host;
  fs::copy_file(make_simgpu_driver_dir(host.path()) / kSimgpuFile, driver / kSimgpuFile);
  // Without the soname link a first run differs from every later one: ldconfig skips a dangling libsimgpu.so made
  // by create-symlinks, then creates libsimgpu.so.1, and the next run indexes libsimgpu.so too.
  fs::create_symlink(kSimgpuFile, driver / kSimgpuSoname);
  fs::create_directories(root / "proc");
  auto r = test::run({"/sbin/ldconfig", "-r", root.string()});
  if (r.exit_code != 0) throw std::runtime_error("ldconfig -r " + root.string() + ": " + r.err);
}

std::string state_for_bundle(const fs::path& bundle, const std::string& rootfs) {
  test::write_file(bundle / "config.json", nlohmann::json{{"root", {{"path", rootfs}}}}.dump());
  return nlohmann::json{
      {"ociVersion", "1.0.2-dev"}, {"id", "direct"}, {"status", "creating"}, {"pid", 1}, {"bundle", bundle.string()}}
      .dump();
}

}  // namespace gpuhooks::e2e
