#pragma once
// Making a container's linker cache index extra folders, with the host's ldconfig (nvidia-hooks.md §1.4): what the
// update-ldcache hook does, and what the prestart hook does for the libraries it mounts. The host ldconfig is copied
// into a sealed memfd on the host view; then a child in fresh namespaces pivots into the container root, applies
// the linker configuration plan there (paths are container paths after the pivot) and replaces itself with that
// copy, with an empty environment and the reference's argv: [basename, "-f", "/etc/ld.so.conf", "-C",
// "/etc/ld.so.cache"].
#include <filesystem>
#include <string>
#include <vector>

namespace gpuhooks::ldcache {

// Ubuntu's /sbin/ldconfig is a shell script around /sbin/ldconfig.real; the binary is what must be carried in.
// The reference's rule: strip ".real", then prefer "<path>.real" when it exists on the host.
std::string host_ldconfig(std::string path);

// Throws Error (one line, naming the root) for a read-only root, a configuration link that leaves the root, an
// ldconfig that cannot be copied or run, or one that fails.
void update_container_ldcache(const std::filesystem::path& root, const std::vector<std::string>& folders,
                              const std::string& ldconfig_path);

}  // namespace gpuhooks::ldcache
