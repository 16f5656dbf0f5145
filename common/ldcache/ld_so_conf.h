#pragma once
// Reading a container's dynamic-linker configuration: the directories its ld.so.conf names (following include
// lines) and the directories its linker searches without any configuration. Everything is read through the in-root
// API, so the same code serves a container root seen from the host and "/" after a pivot into it.
#include <optional>
#include <string>
#include <vector>

#include "common/ldcache/arch.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::ldcache {

// The directories glibc's linker searches by default in this container (nvidia-hooks.md §1.4, step 5):
// Debian-like (multiarch) containers: /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib;
// others: /lib, /usr/lib, then /lib64, /usr/lib64 (+ /libx32, /usr/libx32 on amd64).
std::vector<std::string> system_search_paths(bool debian_like, Arch arch);

// A Debian-like container has /etc/debian_version as a regular file (the reference's test).
bool is_debian_like(const rootfs::InRoot& root);

// Every directory named by `conf_path` and, recursively, by the files its `include` lines match (each file read
// once; missing files and unmatched patterns ignored, as ldconfig does). Relative include patterns are taken
// relative to the including file's directory (glibc's rule). `hwcap` lines are not directories. Throws Error for a
// configuration file larger than 1 MiB or that is a FIFO or a device, and when the include patterns together visit more
// than 65536 directory entries (symlink loops make that exponential): ldconfig would be run on either. Paths are
// normalised (trailing "/" removed); order of first appearance kept. `content`, when given, is read as the text of
// `conf_path` in place of the file (a configuration about to be written).
std::vector<std::string> configured_dirs(const rootfs::InRoot& root, const std::string& conf_path,
                                         const std::optional<std::string>& content = std::nullopt);

// Files matching a glob pattern (wildcards allowed in any component) inside the root, sorted, as glob(3). Throws Error
// past 65536 directory entries visited.
std::vector<std::string> glob_in_root(const rootfs::InRoot& root, const std::string& pattern);

// "/usr/lib/" -> "/usr/lib", "//lib//x" -> "/lib/x"; "" stays "".
std::string normalise_dir(const std::string& dir);

}  // namespace gpuhooks::ldcache
