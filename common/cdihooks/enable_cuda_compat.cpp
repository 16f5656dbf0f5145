// enable-cuda-compat: when the image ships CUDA forward-compatibility libraries newer than the host driver, name
// their directory in an ld.so.conf.d drop-in that sorts before update-ldcache's 00-nvcr-*, so the following
// update-ldcache hook puts them first (nvidia-hooks.md §1.5). This is the ldconfig-based replacement for mounting
// compat libraries, which was the TOCTOU hole of CVE-2024-0132/CVE-2025-23359: nothing is mounted, and every path
// is resolved through the in-root API (the compat directory's symlinks are re-rooted, never followed to the host).
#include "common/cdihooks/enable_cuda_compat.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/cdihooks/hook.h"
#include "common/discovery/driver_version.h"
#include "common/error.h"
#include "common/random_bits.h"

namespace gpuhooks::cdihook {
namespace {

constexpr const char* kLibcudaPattern = "libcuda.so.*.*";
constexpr const char* kLibcudaPrefix = "libcuda.so.";

std::optional<Version> parse_flag_version(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto v = Version::parse(text);
  if (!v) spdlog::warn("Ignoring {} {}: not a version", flag, text);
  return v;
}

// Regular files only, as the reference's dirent-type filter: a symlinked or directory libcuda is not a candidate.
std::vector<std::string> libcuda_candidates(const rootfs::InRoot& root, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& name : root.list_dir(dir)) {
    if (::fnmatch(kLibcudaPattern, name.c_str(), FNM_PERIOD) != 0) continue;
    auto st = root.lstat(dir + "/" + name);
    if (st && S_ISREG(st->st_mode)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<CudaCompatNote> note_of(const rootfs::InRoot& root, const std::string& path) {
  try {
    UniqueFd fd = root.open(path, O_RDONLY, rootfs::Follow::kNoFinal);
    return read_cuda_compat_note(fd.get());
  } catch (const Error& e) {
    spdlog::warn("Ignoring the CUDA compatibility note of {}: {}", path, e.what());
    return std::nullopt;
  }
}

std::string uuid4() {
  uint64_t hi = random_bits(), lo = random_bits();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
                (unsigned long long)((hi >> 16) & 0xFFFF), (unsigned long long)(hi & 0xFFFF),
                (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

// The hook runs in the host's mount namespace: /proc/driver/nvidia/version is the loaded kernel module's.
void warn_if_spec_is_stale(const std::string& generated_for) {
  if (generated_for.empty()) return;
  auto text = discovery::read_proc_version_file("/proc/driver/nvidia/version");
  if (!text) return;  // no module loaded here (a simulated host, a CPU node): nothing to compare with
  if (auto w = stale_spec_warning(generated_for, *text)) spdlog::warn("{}", *w);
}

class EnableCudaCompat : public Hook {
 public:
  std::string name() const override { return "enable-cuda-compat"; }
  std::string description() const override {
    return "This hook ensures that the folder containing the CUDA compat libraries is added to the ldconfig search "
           "path if required.";
  }
  void add_options(CLI::App& app) override {
    app.add_option("--host-driver-version", host_driver_, "The host driver version");
    app.add_option("--host-cuda-version", host_cuda_, "The host CUDA version (CSV/Orin mode)");
    app.add_option("--cuda-compat-container-root", compat_root_, "The compat libraries' folder in the container")
        ->capture_default_str();
  }
  void run(Container& container) override {
    // No versions: nothing to decide, and the state on stdin is never read (as the reference).
    if (host_driver_.empty() && host_cuda_.empty()) return;
    warn_if_spec_is_stale(host_driver_);
    auto host_driver = parse_flag_version("--host-driver-version", host_driver_);
    auto host_cuda = parse_flag_version("--host-cuda-version", host_cuda_);
    rootfs::InRoot root(container.root());
    auto dir = select_cuda_compat_dir(root, compat_root_, host_driver, host_cuda);
    if (!dir) return;
    auto file = write_compat_drop_in(root, *dir);
    spdlog::info("Added CUDA compat folder {} to {}", *dir, file);
  }

 private:
  std::string host_driver_, host_cuda_;
  std::string compat_root_ = "/usr/local/cuda/compat";
};

}  // namespace

std::optional<std::string> stale_spec_warning(const std::string& generated_for, std::string_view proc_version) {
  auto running = discovery::parse_proc_version(proc_version);
  if (!running || *running == generated_for) return std::nullopt;
  return "The CDI spec is stale: it was generated for driver " + rootfs::printable(generated_for) +
         " but the host runs " + *running + "; regenerate it with: systemctl start gpuhooks-cdi-refresh.service";
}

std::optional<std::string> select_cuda_compat_dir(const rootfs::InRoot& root, const std::string& compat_root,
                                                  const std::optional<Version>& host_driver,
                                                  const std::optional<Version>& host_cuda) {
  if (!root.exists(compat_root)) return std::nullopt;
  std::string dir;
  std::vector<std::string> libs;
  try {
    dir = root.resolve(compat_root);
    libs = libcuda_candidates(root, dir);
  } catch (const Error& e) {
    spdlog::warn("Failed to look for CUDA compat libraries in {}: {}", compat_root, e.what());
    return std::nullopt;
  }
  if (libs.empty()) return std::nullopt;
  if (libs.size() > 1) {
    spdlog::warn("Expected one CUDA compat library in {}, found {}; not using any", dir, libs.size());
    return std::nullopt;
  }
  const std::string version_text = libs[0].substr(std::string(kLibcudaPrefix).size());
  auto compat_driver = Version::parse(version_text);
  if (!compat_driver) spdlog::warn("Ignoring the version of {}: {} is not a version", libs[0], version_text);
  CompatInputs in{host_driver, host_cuda, compat_driver, note_of(root, dir + "/" + libs[0])};
  if (!use_compat_libraries(in)) return std::nullopt;
  return dir;
}

std::string write_compat_drop_in(const rootfs::InRoot& root, const std::string& dir) {
  const std::string path = "/etc/ld.so.conf.d/00-compat-" + uuid4() + ".conf";
  root.create_file(path, dir + "\n", 0644);
  return path;
}

std::unique_ptr<Hook> make_enable_cuda_compat() { return std::make_unique<EnableCudaCompat>(); }

}  // namespace gpuhooks::cdihook
