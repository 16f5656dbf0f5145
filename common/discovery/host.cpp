#include "common/discovery/host.h"

#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "common/discovery/driver_version.h"
#include "common/discovery/nvml.h"
#include "common/discovery/proc_gpus.h"
#include "common/error.h"

namespace gpuhooks::discovery {
namespace {

std::vector<std::string> split_path_list(const char* value) {
  std::vector<std::string> out;
  if (!value) return out;
  std::stringstream s(value);
  std::string item;
  while (std::getline(s, item, ':')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string read_if_present(const rootfs::InRoot& root, const std::string& path) {
  return root.is_regular_file(path) ? root.read_file(path, 1 << 20) : std::string();
}

// Fills the driver version from /proc, NVML or a library suffix, in that order of trust.
void find_driver_version(const LibraryLocator& locator, const std::string& nvml_version, HostDiscovery& host) {
  if (auto v = parse_proc_version(read_if_present(locator.root(), "/proc/driver/nvidia/version"))) {
    host.driver_version = *v;
    host.driver_version_source = "/proc/driver/nvidia/version";
    return;
  }
  if (!nvml_version.empty()) {
    host.driver_version = nvml_version;
    host.driver_version_source = "NVML";
    return;
  }
  for (const char* stem : {"libcuda.so", "libnvidia-ml.so"}) {
    for (const auto& lib : locator.find_by_prefix({stem})) {
      std::string name = lib.path.substr(lib.path.rfind('/') + 1);
      if (auto v = version_from_library_name(name, stem)) {
        host.driver_version = *v;
        host.driver_version_source = name;
        return;
      }
    }
  }
  throw Error("no NVIDIA driver found under driver root " + host.driver_root.string() +
              ": no /proc/driver/nvidia/version, no working libnvidia-ml.so.1 and no libcuda.so.<version> or "
              "libnvidia-ml.so.<version> in " +
              (locator.has_cache() ? locator.cache_path() + " or " : "") + "the library search directories" +
              (locator.has_cache() ? "" : " (no " + locator.cache_path() + ")"));
}

// NVML first (the reference's source of GPUs); `nvml_error` says why not when it cannot be used.
void query_nvml_gpus(const LibraryLocator& locator, const DiscoveryOptions& options, HostDiscovery& host,
                     std::string* nvml_version) {
  if (!options.use_nvml) {
    host.nvml_error = "NVML disabled";
    return;
  }
  auto started = std::chrono::steady_clock::now();
  if (auto lib = locator.find("libnvidia-ml.so.1")) {
    host.nvml_library = lib->path;
    try {
      NvmlReport report = query_nvml(lib->host_path);
      host.gpus = std::move(report.gpus);
      host.cuda_version = cuda_version_string(report.cuda_driver_version);
      *nvml_version = report.driver_version;
      host.gpu_source = GpuSource::kNvml;
    } catch (const Error& e) {
      host.nvml_error = e.what();
    }
  } else {
    host.nvml_error = "libnvidia-ml.so.1 not found in driver root " + host.driver_root.string();
  }
  host.nvml_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

// /proc/driver/nvidia/gpus when NVML is absent or failed (libnvidia-container reads the same files).
void read_proc_gpus_instead(HostDiscovery& host) {
  if (host.nvml_error != "NVML disabled") {
    spdlog::warn("NVML unavailable ({}); reading GPUs from /proc/driver/nvidia/gpus", host.nvml_error);
  }
  host.gpu_source = GpuSource::kProcFallback;
  host.missing.push_back("CUDA driver version (needs NVML)");
  try {
    host.gpus = read_proc_gpus(join_root(host.driver_root, "/proc/driver/nvidia"));
  } catch (const Error& e) {
    throw Error("cannot list GPUs: NVML: " + host.nvml_error + "; /proc fallback: " + e.what());
  }
}

void fill_mig_minors(const LibraryLocator& locator, HostDiscovery& host) {
  bool any = false;
  for (const auto& g : host.gpus) any = any || !g.migs.empty();
  if (!any) return;
  const std::string file = "/proc/driver/nvidia-caps/mig-minors";
  std::string text = read_if_present(locator.root(), file);
  if (text.empty()) {
    host.missing.push_back(file + " (MIG capability minors)");
    return;
  }
  auto minors = parse_mig_minors(text, join_root(host.driver_root, file));
  for (auto& gpu : host.gpus) {
    for (auto& mig : gpu.migs) {
      std::string gi = "gpu" + std::to_string(gpu.minor) + "/gi" + std::to_string(mig.gpu_instance);
      if (auto it = minors.find(gi + "/access"); it != minors.end()) mig.gi_cap_minor = it->second;
      if (auto it = minors.find(gi + "/ci" + std::to_string(mig.compute_instance) + "/access"); it != minors.end()) {
        mig.ci_cap_minor = it->second;
      }
    }
  }
}

}  // namespace

DriverFilesOptions files_options_from_environment() {
  DriverFilesOptions opts;
  opts.path_dirs = split_path_list(std::getenv("PATH"));
  opts.share_dirs = split_path_list(std::getenv("XDG_DATA_DIRS"));
  struct utsname u {};
  if (::uname(&u) == 0) opts.kernel_release = u.release;
  return opts;
}

HostDiscovery discover_host(const DiscoveryOptions& options) {
  HostDiscovery host;
  host.driver_root = options.driver_root.empty() ? std::filesystem::path("/") : options.driver_root;
  host.dev_root = options.dev_root.empty() ? host.driver_root : options.dev_root;
  LibraryLocator locator(host.driver_root, options.ldcache.empty() ? LibraryLocator::kDefaultCache : options.ldcache);
  std::string nvml_version;
  query_nvml_gpus(locator, options, host, &nvml_version);
  find_driver_version(locator, nvml_version, host);  // no driver at all: this is the error the user sees
  if (!host.nvml_error.empty()) read_proc_gpus_instead(host);
  fill_mig_minors(locator, host);
  host.control_nodes = find_control_nodes(host.dev_root, &host.missing);
  host.files = find_driver_files(locator, host.driver_version, options.capabilities, options.files);
  for (const auto& lib : host.files.files) {
    if (lib.kind != DriverFile::Kind::kLibrary) continue;
    for (auto& link : library_links(lib, locator.root())) host.library_links.push_back(std::move(link));
  }
  host.missing.insert(host.missing.end(), host.files.missing.begin(), host.files.missing.end());
  return host;
}

}  // namespace gpuhooks::discovery
