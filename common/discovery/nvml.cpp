#include "common/discovery/nvml.h"

#include <dlfcn.h>

#include <cctype>
#include <iterator>

#include "common/error.h"

namespace gpuhooks::discovery {
namespace {

// Our own declarations of the NVML ABI we use (nvml.h of the driver; stable since the _v2 entry points).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_FOUND = 6;
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};

struct Api {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  const char* (*error_string)(nvmlReturn_t);
  nvmlReturn_t (*driver_version)(char*, unsigned);
  nvmlReturn_t (*cuda_version)(int*);
  nvmlReturn_t (*count)(unsigned*);
  nvmlReturn_t (*by_index)(unsigned, nvmlDevice_t*);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*minor)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*pci_info)(nvmlDevice_t, nvmlPciInfo_t*);
  // Only for requirements: optional, an unknown value holds (libnvidia-container.md A.3.5).
  nvmlReturn_t (*brand)(nvmlDevice_t, int*);
  nvmlReturn_t (*compute_capability)(nvmlDevice_t, int*, int*);
  // MIG: optional (drivers before R450 lack them); absent means no MIG devices are reported.
  nvmlReturn_t (*mig_mode)(nvmlDevice_t, unsigned*, unsigned*);
  nvmlReturn_t (*max_mig)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*mig_by_index)(nvmlDevice_t, unsigned, nvmlDevice_t*);
  nvmlReturn_t (*gi_id)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*ci_id)(nvmlDevice_t, unsigned*);
};

class Library {
 public:
  explicit Library(const std::filesystem::path& path) : path_(path.string()) {
    handle_ = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw Error(path_ + ": cannot load NVML: " + ::dlerror());
  }
  ~Library() { ::dlclose(handle_); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  template <typename F>
  void bind(F& fn, const char* symbol, bool required = true) {
    fn = reinterpret_cast<F>(::dlsym(handle_, symbol));
    if (!fn && required) throw Error(path_ + ": NVML has no symbol " + symbol);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* handle_ = nullptr;
};

Api bind_api(Library& lib) {
  Api api{};
  lib.bind(api.init, "nvmlInit_v2");
  lib.bind(api.shutdown, "nvmlShutdown");
  lib.bind(api.error_string, "nvmlErrorString");
  lib.bind(api.driver_version, "nvmlSystemGetDriverVersion");
  lib.bind(api.cuda_version, "nvmlSystemGetCudaDriverVersion");
  lib.bind(api.count, "nvmlDeviceGetCount_v2");
  lib.bind(api.by_index, "nvmlDeviceGetHandleByIndex_v2");
  lib.bind(api.uuid, "nvmlDeviceGetUUID");
  lib.bind(api.name, "nvmlDeviceGetName");
  lib.bind(api.minor, "nvmlDeviceGetMinorNumber");
  lib.bind(api.pci_info, "nvmlDeviceGetPciInfo_v3");
  lib.bind(api.brand, "nvmlDeviceGetBrand", false);
  lib.bind(api.compute_capability, "nvmlDeviceGetCudaComputeCapability", false);
  lib.bind(api.mig_mode, "nvmlDeviceGetMigMode", false);
  lib.bind(api.max_mig, "nvmlDeviceGetMaxMigDeviceCount", false);
  lib.bind(api.mig_by_index, "nvmlDeviceGetMigDeviceHandleByIndex", false);
  lib.bind(api.gi_id, "nvmlDeviceGetGpuInstanceId", false);
  lib.bind(api.ci_id, "nvmlDeviceGetComputeInstanceId", false);
  return api;
}

class Session {
 public:
  Session(const Library& lib, const Api& api) : lib_(lib), api_(api) { check(api_.init(), "nvmlInit_v2"); }
  ~Session() { api_.shutdown(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void check(nvmlReturn_t r, const std::string& call) const {
    if (r != NVML_SUCCESS) throw Error(lib_.path() + ": " + call + ": " + api_.error_string(r));
  }

 private:
  const Library& lib_;
  const Api& api_;
};

std::vector<MigDevice> query_migs(const Api& api, const Session& s, nvmlDevice_t gpu, bool* enabled) {
  *enabled = false;
  if (!api.mig_mode || !api.max_mig || !api.mig_by_index || !api.gi_id || !api.ci_id) return {};
  unsigned current = 0, pending = 0;
  if (api.mig_mode(gpu, &current, &pending) != NVML_SUCCESS || current == 0) return {};  // not MIG capable/on
  *enabled = true;
  unsigned max = 0;
  s.check(api.max_mig(gpu, &max), "nvmlDeviceGetMaxMigDeviceCount");
  std::vector<MigDevice> migs;
  for (unsigned i = 0; i < max; ++i) {
    nvmlDevice_t mig;
    nvmlReturn_t r = api.mig_by_index(gpu, i, &mig);
    if (r == NVML_ERROR_NOT_FOUND) continue;  // an unused slot
    s.check(r, "nvmlDeviceGetMigDeviceHandleByIndex");
    MigDevice m;
    m.index = static_cast<unsigned>(migs.size());
    char buf[96] = {};
    s.check(api.uuid(mig, buf, sizeof buf), "nvmlDeviceGetUUID");
    m.uuid = buf;
    if (api.name(mig, buf, sizeof buf) == NVML_SUCCESS) m.name = buf;
    s.check(api.gi_id(mig, &m.gpu_instance), "nvmlDeviceGetGpuInstanceId");
    s.check(api.ci_id(mig, &m.compute_instance), "nvmlDeviceGetComputeInstanceId");
    migs.push_back(std::move(m));
  }
  return migs;
}

}  // namespace

std::string brand_name(int nvml_brand) {
  // nvml.h's nvmlBrandType_t, 0..16 (11 is both CLOUD_GAMING and VGAMING).
  static constexpr const char* kNames[] = {"unknown",   "quadro",    "tesla",  "nvs",        "grid",    "geforce",
                                           "titan",     "vapps",     "vpc",    "vcs",        "vws",     "cloudgaming",
                                           "quadrortx", "nvidiartx", "nvidia", "geforcertx", "titanrtx"};
  if (nvml_brand < 0 || nvml_brand >= static_cast<int>(std::size(kNames))) return "unknown";
  return kNames[nvml_brand];
}

std::string short_pci_bus_id(const std::string& id) {
  // "00000000:00:06.0": the domain has 8 hex digits; /proc and sysfs print 4 when the upper half is zero.
  size_t colon = id.find(':');
  if (colon == 8 && id.compare(0, 4, "0000") == 0) {
    std::string s = id.substr(4);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  std::string s = id;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

NvmlReport query_nvml(const std::filesystem::path& library) {
  Library lib(library);
  Api api = bind_api(lib);
  Session session(lib, api);
  NvmlReport report;
  char buf[96] = {};
  session.check(api.driver_version(buf, sizeof buf), "nvmlSystemGetDriverVersion");
  report.driver_version = buf;
  session.check(api.cuda_version(&report.cuda_driver_version), "nvmlSystemGetCudaDriverVersion");
  unsigned count = 0;
  session.check(api.count(&count), "nvmlDeviceGetCount_v2");
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev;
    session.check(api.by_index(i, &dev), "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(i) + ")");
    Gpu gpu;
    gpu.index = i;
    session.check(api.uuid(dev, buf, sizeof buf), "nvmlDeviceGetUUID");
    gpu.uuid = buf;
    session.check(api.name(dev, buf, sizeof buf), "nvmlDeviceGetName");
    gpu.model = buf;
    session.check(api.minor(dev, &gpu.minor), "nvmlDeviceGetMinorNumber");
    nvmlPciInfo_t pci{};
    session.check(api.pci_info(dev, &pci), "nvmlDeviceGetPciInfo_v3");
    gpu.pci_bus_id = short_pci_bus_id(pci.busId);
    int brand = 0, major = 0, minor = 0;
    if (api.brand && api.brand(dev, &brand) == NVML_SUCCESS) gpu.brand = brand_name(brand);
    if (api.compute_capability && api.compute_capability(dev, &major, &minor) == NVML_SUCCESS)
      gpu.compute_capability = std::to_string(major) + "." + std::to_string(minor);
    gpu.migs = query_migs(api, session, dev, &gpu.mig_enabled);
    report.gpus.push_back(std::move(gpu));
  }
  return report;
}

}  // namespace gpuhooks::discovery
