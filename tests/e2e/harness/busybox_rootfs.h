#pragma once
// The container image every end-to-end test starts from: scripts/make-busybox-rootfs's busybox root (static
// busybox, the host's ld.so and glibc libraries so dynamically linked test programs run inside, a static ldconfig;
// runtimes.md §1a). Built once into <build dir>/e2e-cache and copied afresh for every test, so no test sees
// another's changes.
#include <filesystem>

namespace gpuhooks::e2e {

// <build dir>/e2e-cache: the rootfs template and compiled fixtures live here between runs.
std::filesystem::path cache_dir();

// The template rootfs, built on first use. Its name carries a digest of its inputs (busybox and the libraries'
// size and mtime, the layout version), so a host upgrade builds a new one instead of reusing a stale one.
const std::filesystem::path& busybox_rootfs_template();

// A fresh, independent copy of the template at `dest` (created; must not exist). Plain copies, not hard links: a
// hook or container that writes a file in place must never reach the template.
void copy_busybox_rootfs(const std::filesystem::path& dest);

}  // namespace gpuhooks::e2e
