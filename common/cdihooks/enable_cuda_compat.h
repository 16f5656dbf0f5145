#pragma once
// enable-cuda-compat, the part tests drive without a container state.
#include <optional>
#include <string>
#include <string_view>

#include "common/cdihooks/enable_cuda_compat_version.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::cdihook {

// The spec names the driver it was generated for (--host-driver-version); a host that now runs another one (an
// upgrade without a refresh of the spec) gets the old driver's file list. The warning, with the fix, when the text
// of /proc/driver/nvidia/version names another version; nullopt when it matches or names none.
std::optional<std::string> stale_spec_warning(const std::string& generated_for, std::string_view proc_version);

// The in-root, symlink-resolved compat directory when its single libcuda.so.*.* must take precedence over the host
// driver, else nullopt (no directory, no or several libraries, or the version rules say no).
std::optional<std::string> select_cuda_compat_dir(const rootfs::InRoot& root, const std::string& compat_root,
                                                  const std::optional<Version>& host_driver,
                                                  const std::optional<Version>& host_cuda);

// Writes /etc/ld.so.conf.d/00-compat-<uuid4>.conf naming `dir`; returns its in-root path.
std::string write_compat_drop_in(const rootfs::InRoot& root, const std::string& dir);

}  // namespace gpuhooks::cdihook
