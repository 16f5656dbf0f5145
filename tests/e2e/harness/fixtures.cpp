#include "e2e/harness/fixtures.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <stdexcept>

#include "e2e/harness/busybox_rootfs.h"
#include "support/test_support.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {

fs::path compile_fixture(const std::string& source, const std::vector<std::string>& flags,
                         const std::string& output_name) {
  const fs::path src = test::source_dir() / "tests/e2e/fixtures" / source;
  std::string key = test::read_file(src) + '\0' + output_name;
  if (key.size() == output_name.size() + 1)
    throw std::runtime_error("fixture source missing or empty: " + src.string());
  for (const auto& f : flags) key += '\0' + f;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(key));
  const fs::path dir = cache_dir() / "fixtures" / hex;
  const fs::path out = dir / output_name;
  if (fs::exists(out)) return out;

  // Build beside the final place and rename: concurrent test binaries never see a half-written output.
  fs::path tmp = dir;
  tmp += ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  std::vector<std::string> argv{"/usr/bin/cc", "-O2", "-Wall"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"-o", (tmp / output_name).string(), src.string()});
  auto r = test::run(argv);
  if (r.exit_code != 0) throw std::runtime_error("cc " + source + " failed: " + r.err);
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);
  if (!fs::exists(out)) throw std::runtime_error("cannot place compiled fixture " + out.string());
  return out;
}

fs::path make_simgpu_driver_dir(const fs::path& parent) {
  const fs::path lib =
      compile_fixture("simgpu.c", {"-shared", "-fPIC", std::string("-Wl,-soname,") + kSimgpuSoname}, kSimgpuFile);
  const fs::path dir = parent / "driver";
  fs::create_directories(dir);
  fs::copy_file(lib, dir / kSimgpuFile, fs::copy_options::overwrite_existing);
  fs::create_symlink(kSimgpuFile, dir / kSimgpuSoname);
  return dir;
}

fs::path dlopen_probe() { return compile_fixture("dlopen_probe.c", {}, "dlopen-probe"); }

fs::path preload_marker_library() {
  return compile_fixture("preload_marker.c",
                         {"-shared", "-fPIC", std::string("-DMARKER_PATH=\"") + kPreloadMarker + "\""},
                         "preload-marker.so");
}

}  // namespace gpuhooks::e2e
