#pragma once
// The driver's user-space files, per capability: libraries of the driver's version (ld.so.cache + search dirs,
// library_locator.h), binaries on PATH, GSP firmware, configuration files and IPC sockets (nvidia-hooks.md §3.2
// "Files mounted", libnvidia-container.md A.1.3-A.1.4). Plain data: what to mount, from where, to where.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/discovery/capability.h"
#include "common/discovery/library_locator.h"

namespace gpuhooks::discovery {

struct DriverFile {
  enum class Kind { kLibrary, kLibrary32, kBinary, kFirmware, kConfig, kIpcSocket };
  Kind kind = Kind::kLibrary;
  Capability capability = Capability::kUtility;
  std::string path;       // in the container: where the file is on a real host
  std::string host_path;  // the file under the driver root, symlinks resolved inside it
  std::string soname;     // libraries: DT_SONAME of the file ("" when it has none)
  bool operator==(const DriverFile&) const = default;
};

struct DriverFilesOptions {
  std::vector<std::string> path_dirs;   // $PATH entries, searched inside the driver root before the defaults
  std::vector<std::string> share_dirs;  // $XDG_DATA_DIRS entries; empty = /usr/local/share, /usr/share
  std::string kernel_release;           // uname -r, for the firmware search
};

struct DriverFiles {
  std::vector<DriverFile> files;     // libraries (64-bit, then compat32), binaries, firmware, configs, sockets
  std::vector<std::string> missing;  // "library libnvidia-nscq.so (utility)", … : looked for, not found
  std::string install_prefix;        // "/usr/local/nvidia" when the driver lives outside the system lib dirs

  std::vector<const DriverFile*> of_kind(DriverFile::Kind kind) const;
  // Unique directories of the 64-bit libraries, in order: update-ldcache folders, NVIDIA_CTK_LIBCUDA_DIR.
  std::vector<std::string> library_dirs() const;
};

// Finds every file of `capabilities` (video brings compute's libraries, display graphics', as in
// libnvidia-container.md A.1.1) for driver `version`.
DriverFiles find_driver_files(const LibraryLocator& locator, const std::string& version,
                              const std::vector<Capability>& capabilities, const DriverFilesOptions& options);

// The links a container needs next to a mounted library, as create-symlinks "TARGET::LINK" pairs (nvidia-hooks.md
// §3.2 "Symlink hooks for libraries"): libcuda.so, libGLX_indirect.so.0 and libnvidia-opticalflow.so always; the
// SONAME link and the .so link where the host has them as symlinks.
std::vector<std::pair<std::string, std::string>> library_links(const DriverFile& library,
                                                               const rootfs::InRoot& driver_root);

}  // namespace gpuhooks::discovery
