#pragma once
// Making a container's linker cache index extra folders (nvidia-hooks.md §1.4): what the update-ldcache hook does, and
// what the prestart hook does for the libraries it mounts. By default our own writer does it in this process
// (cache_plan.h: the linker configuration drop-ins, the soname links, the cache), with no process started; it hands
// over to the host's ldconfig for what it does not take (read_image_cache, plan_cache: no cache in the image, one it
// cannot read, hardware-capability folders), and CacheBuilder::kLdconfig asks for ldconfig. The host ldconfig is copied
// into a sealed memfd on the host view; then a child in fresh namespaces pivots into the container root, applies
// the linker configuration plan there (paths are container paths after the pivot) and replaces itself with that
// copy, with an empty environment and the reference's argv: [basename, "-f", "/etc/ld.so.conf", "-C",
// "/etc/ld.so.cache"].
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/rootfs/hook_deadline.h"

namespace gpuhooks::ldcache {

// How long ldconfig may take, configuration included, before it is killed and the hook fails with one line
// ("<ldconfig> took longer than N s in container root R; killed"): a hook that hangs blocks the container start for
// good. NVIDIA_CTK_HOOK_TIMEOUT, whole seconds from 1 to 3600, in the hook's environment (a CDI spec's hook "env"
// entry, or the environment of the prestart hook) sets it; the default is 10 s. ldconfig takes well under a second
// for a large CUDA image; the default leaves room for a loaded host. ldconfig also gets CPU time of that many
// seconds, 1 GiB of data, CAP_DAC_OVERRIDE only, no_new_privs and no descriptor above stderr.
// The variable is the hook's whole deadline as well (common/rootfs/hook_deadline.h); ldconfig gets what is left
// of it when that is less.

// Ubuntu's /sbin/ldconfig is a shell script around /sbin/ldconfig.real; the binary is what must be carried in.
// The reference's rule: strip ".real", then prefer "<path>.real" when it exists on the host.
std::string host_ldconfig(std::string path);

enum class CacheBuilder { kWriter, kLdconfig };

// Throws Error (one line, naming the root) for the host's root under another name, a read-only root, a configuration
// link that leaves the root, a configuration ldconfig could hang or blow up on (ld_so_conf.h), an ldconfig that
// cannot be copied or run, one that fails, or one that takes longer than rootfs::hook_timeout().
void update_container_ldcache(const std::filesystem::path& root, const std::vector<std::string>& folders,
                              const std::string& ldconfig_path, CacheBuilder builder = CacheBuilder::kWriter);

}  // namespace gpuhooks::ldcache
