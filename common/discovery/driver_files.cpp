#include "common/discovery/driver_files.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "common/ldcache/elf_library.h"

namespace gpuhooks::discovery {
namespace {

using Kind = DriverFile::Kind;

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string join(const std::string& dir, const std::string& name) { return dir == "/" ? "/" + name : dir + "/" + name; }

std::vector<Capability> expand(const std::vector<Capability>& caps) {
  std::vector<Capability> out;
  auto add = [&](Capability c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (Capability c : caps) {
    add(c);
    if (c == Capability::kVideo) add(Capability::kCompute);
    if (c == Capability::kDisplay) add(Capability::kGraphics);
  }
  return out;
}

bool has(const std::vector<Capability>& caps, Capability c) {
  return std::find(caps.begin(), caps.end(), c) != caps.end();
}

// Libraries of one capability: names from the cache and the search dirs, kept when the resolved file carries the
// driver's version (libnvidia-container select_libraries) or, for the any-version list, any ".so.N…" suffix.
void add_libraries(const LibraryLocator& locator, const std::string& version, Capability cap, ldcache::Arch arch,
                   std::set<std::string>& seen, DriverFiles& out) {
  const auto& names = capability_files(cap);
  auto keep = [&](const std::vector<std::string>& prefixes, bool any_version) {
    for (const auto& prefix : prefixes) {
      bool found = false;
      for (const auto& lib : locator.find_by_prefix({prefix}, arch)) {
        std::string name = basename_of(lib.path);
        bool versioned = any_version
                             ? name.size() > prefix.size() + 1 && name.compare(0, prefix.size() + 1, prefix + ".") == 0
                             : name == prefix + "." + version;
        if (!versioned) continue;
        found = true;
        if (!seen.insert(lib.path).second) continue;
        Kind kind = arch == ldcache::Arch::kI386 ? Kind::kLibrary32 : Kind::kLibrary;
        Capability recorded = arch == ldcache::Arch::kI386 ? Capability::kCompat32 : cap;
        out.files.push_back(
            {kind, recorded, lib.path, lib.host_path, ldcache::read_elf_soname(lib.host_path).value_or("")});
      }
      if (!found) {
        out.missing.push_back(std::string(arch == ldcache::Arch::kI386 ? "compat32 library " : "library ") + prefix +
                              " (" + std::string(capability_name(cap)) + ")");
      }
    }
  };
  keep(names.libraries, false);
  keep(names.any_version_libraries, true);
}

bool is_system_lib_dir(const std::string& dir) {
  static const std::set<std::string> system = {"/lib",           "/lib64",           "/usr/lib", "/usr/lib64",
                                               "/usr/local/lib", "/usr/local/lib64", "/lib32",   "/usr/lib32"};
  return system.count(dir) || dir.find("-linux-gnu") != std::string::npos;
}

// A driver installed in its own tree (the reference host's /usr/local/nvidia/{lib64,bin,share}) keeps binaries and
// configs beside its libraries; searching <prefix>/bin and <prefix>/share there is our deliberate addition to the
// reference's PATH and XDG_DATA_DIRS searches, which only find them when the caller's environment names them.
std::string install_prefix_of(const std::vector<std::string>& lib_dirs) {
  for (const auto& dir : lib_dirs) {
    std::string base = basename_of(dir);
    if (!is_system_lib_dir(dir) && (base == "lib64" || base == "lib")) return dirname_of(dir);
  }
  return "";
}

void add_binaries(const LibraryLocator& locator, const std::vector<Capability>& caps, const DriverFilesOptions& opts,
                  const std::string& prefix, DriverFiles& out) {
  // PATH first, then the usual folders; each folder once (a PATH of /usr/bin:/bin repeats them, and every miss is a
  // lookup in the driver root per binary).
  std::vector<std::string> dirs;
  auto add_dir = [&](const std::string& d) {
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
  for (const auto& d : opts.path_dirs) add_dir(d);
  for (const char* d : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) add_dir(d);
  if (!prefix.empty()) add_dir(prefix + "/bin");
  for (Capability cap : caps) {
    for (const auto& name : capability_files(cap).binaries) {
      bool found = false;
      for (const auto& dir : dirs) {
        if (dir.empty() || dir.front() != '/') continue;
        std::string path = join(dir, name);
        if (auto resolved = locator.resolve_file(path)) {
          out.files.push_back({Kind::kBinary, cap, path, join_root(locator.root().host_path(), *resolved), ""});
          found = true;
          break;
        }
      }
      if (!found) out.missing.push_back("binary " + name + " (" + std::string(capability_name(cap)) + ")");
    }
  }
}

void add_firmware(const LibraryLocator& locator, const std::string& version, const DriverFilesOptions& opts,
                  const std::string& prefix, DriverFiles& out) {
  std::vector<std::string> roots;
  if (locator.root().is_regular_file("/sys/module/firmware_class/parameters/path")) {
    std::string custom = locator.root().read_file("/sys/module/firmware_class/parameters/path", 4096);
    while (!custom.empty() && (custom.back() == '\n' || custom.back() == ' ')) custom.pop_back();
    if (!custom.empty()) roots.push_back(custom);
  }
  if (!opts.kernel_release.empty()) roots.push_back("/lib/firmware/updates/" + opts.kernel_release);
  roots.push_back("/lib/firmware/updates");
  if (!opts.kernel_release.empty()) roots.push_back("/lib/firmware/" + opts.kernel_release);
  roots.push_back("/lib/firmware");
  if (!prefix.empty()) roots.push_back(prefix + "/firmware");
  std::set<std::string> seen, searched;
  for (const auto& root : roots) {
    std::string dir = join(root, "nvidia/" + version);
    if (!searched.insert(dir).second) continue;  // a kernel custom path that is the driver folder, as on the H100 host
    int err = 0;
    if (!locator.root().try_open(dir, O_PATH | O_DIRECTORY, rootfs::Follow::kAll, &err).valid()) continue;
    auto names = locator.root().list_dir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      if (name.rfind("gsp", 0) != 0 || name.size() < 7 || name.compare(name.size() - 4, 4, ".bin") != 0) continue;
      auto resolved = locator.resolve_file(join(dir, name));
      if (!resolved || !seen.insert(*resolved).second) continue;
      out.files.push_back({Kind::kFirmware, Capability::kUtility, join(dir, name),
                           join_root(locator.root().host_path(), *resolved), ""});
    }
  }
}

struct ConfigFile {
  const char* relative;  // below /etc or a share dir
  bool etc;              // container path /etc/<relative>, else /usr/share/<relative>
  Capability capability;
};

void add_configs(const LibraryLocator& locator, const std::vector<Capability>& caps, const DriverFilesOptions& opts,
                 const std::string& prefix, DriverFiles& out) {
  static const ConfigFile configs[] = {
      {"glvnd/egl_vendor.d/10_nvidia.json", false, Capability::kGraphics},
      {"egl/egl_external_platform.d/15_nvidia_gbm.json", false, Capability::kGraphics},
      {"egl/egl_external_platform.d/10_nvidia_wayland.json", false, Capability::kGraphics},
      {"egl/egl_external_platform.d/09_nvidia_wayland2.json", false, Capability::kGraphics},
      {"egl/egl_external_platform.d/20_nvidia_xcb.json", false, Capability::kGraphics},
      {"egl/egl_external_platform.d/20_nvidia_xlib.json", false, Capability::kGraphics},
      {"nvidia/nvoptix.bin", false, Capability::kGraphics},
      {"X11/xorg.conf.d/10-nvidia.conf", false, Capability::kDisplay},
      {"X11/xorg.conf.d/nvidia-drm-outputclass.conf", false, Capability::kDisplay},
      {"OpenCL/vendors/nvidia.icd", true, Capability::kCompute},
      {"vulkan/icd.d/nvidia_icd.json", true, Capability::kGraphics},
      {"vulkan/icd.d/nvidia_layers.json", true, Capability::kGraphics},
      {"vulkan/implicit_layer.d/nvidia_layers.json", true, Capability::kGraphics},
      {"vulkan/icd.d/nvidia_icd.x86_64.json", true, Capability::kGraphics},
  };
  std::vector<std::string> dirs = {"/etc"};
  if (opts.share_dirs.empty()) {
    dirs.insert(dirs.end(), {"/usr/local/share", "/usr/share"});
  } else {
    dirs.insert(dirs.end(), opts.share_dirs.begin(), opts.share_dirs.end());
  }
  if (!prefix.empty()) dirs.push_back(prefix + "/share");
  for (const auto& c : configs) {
    if (!has(caps, c.capability)) continue;
    for (const auto& dir : dirs) {
      if (auto resolved = locator.resolve_file(join(dir, c.relative))) {
        out.files.push_back({Kind::kConfig, c.capability, std::string(c.etc ? "/etc/" : "/usr/share/") + c.relative,
                             join_root(locator.root().host_path(), *resolved), ""});
        break;
      }
    }
  }
}

void add_ipc_sockets(const LibraryLocator& locator, DriverFiles& out) {
  for (const char* name : {"nvidia-persistenced/socket", "nvidia-fabricmanager/socket"}) {
    for (const char* run : {"/run/", "/var/run/"}) {
      std::string path = std::string(run) + name;
      auto st = locator.root().stat(path);
      if (st && S_ISSOCK(st->st_mode)) {
        out.files.push_back({Kind::kIpcSocket, Capability::kUtility, path,
                             join_root(locator.root().host_path(), locator.root().resolve(path)), ""});
        break;
      }
    }
  }
}

}  // namespace

std::vector<const DriverFile*> DriverFiles::of_kind(DriverFile::Kind kind) const {
  std::vector<const DriverFile*> out;
  for (const auto& f : files) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

std::vector<std::string> DriverFiles::library_dirs() const {
  std::vector<std::string> dirs;
  for (const auto* f : of_kind(Kind::kLibrary)) {
    std::string dir = dirname_of(f->path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

DriverFiles find_driver_files(const LibraryLocator& locator, const std::string& version,
                              const std::vector<Capability>& capabilities, const DriverFilesOptions& options) {
  DriverFiles out;
  std::vector<Capability> caps = expand(capabilities);
  std::set<std::string> seen;
  for (Capability cap : caps) add_libraries(locator, version, cap, ldcache::Arch::kX86_64, seen, out);
  if (has(caps, Capability::kCompat32)) {
    for (Capability cap : caps) {
      if (cap != Capability::kCompat32) add_libraries(locator, version, cap, ldcache::Arch::kI386, seen, out);
    }
  }
  out.install_prefix = install_prefix_of(out.library_dirs());
  add_binaries(locator, caps, options, out.install_prefix, out);
  add_firmware(locator, version, options, out.install_prefix, out);
  add_configs(locator, caps, options, out.install_prefix, out);
  if (has(caps, Capability::kUtility)) add_ipc_sockets(locator, out);
  return out;
}

std::vector<std::pair<std::string, std::string>> library_links(const DriverFile& lib, const rootfs::InRoot& root) {
  std::vector<std::pair<std::string, std::string>> links;
  std::string dir = dirname_of(lib.path);
  std::string name = basename_of(lib.path);
  auto add = [&](const std::string& target, const std::string& link_name) {
    std::string link = join(dir, link_name);
    for (const auto& l : links) {
      if (l.second == link) return;
    }
    links.emplace_back(target, link);
  };
  auto host_symlink = [&](const std::string& link_name) {
    auto st = root.lstat(join(dir, link_name));
    return st && S_ISLNK(st->st_mode);
  };
  if (name.rfind("libcuda.so.", 0) == 0) add("libcuda.so.1", "libcuda.so");
  if (name.rfind("libGLX_nvidia.so.", 0) == 0) add(name, "libGLX_indirect.so.0");
  if (name.rfind("libnvidia-opticalflow.so.", 0) == 0) add("libnvidia-opticalflow.so.1", "libnvidia-opticalflow.so");
  if (!lib.soname.empty()) {
    if (lib.soname != name && host_symlink(lib.soname)) add(name, lib.soname);
    size_t so = lib.soname.find(".so");
    std::string dev = so == std::string::npos ? "" : lib.soname.substr(0, so + 3);
    if (!dev.empty() && dev != lib.soname && host_symlink(dev)) add(lib.soname, dev);
  }
  return links;
}

}  // namespace gpuhooks::discovery
