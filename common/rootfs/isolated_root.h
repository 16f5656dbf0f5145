#pragma once
// Running code with a container root as "/", in a child that shares nothing it does not need with the caller.
// This is the isolation the reference built for update-ldcache after CVE-2025-23267 (nvidia-hooks.md §1.4, §4):
// fresh mount/pid/ipc/uts/net namespaces, a fresh procfs of the new pid namespace over <root>/proc (when the root
// has one: nothing is created in the root), then pivot_root into the root (MS_MOVE + chroot where pivot_root cannot
// work, e.g. a root filesystem on initramfs). Once there, no container symlink can point outside the root, because
// there is no outside.
//
// Differences from the reference, on purpose: one clone with the namespace flags that borrows the caller's memory
// until it execs (as posix_spawn does) instead of a re-exec of /proc/self/exe; every mount in the child is made private
// first, so nothing propagates back even when the hook is run from a host shell whose "/" is shared; the proc mount
// target is an in-root fd (/proc/self/fd/N), never the joined path string.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace gpuhooks::rootfs {

struct IsolationOptions {
  // Skip pivot_root and use MS_MOVE + chroot, as the reference's --no-pivot (chosen automatically when pivot_root
  // fails with EINVAL). Tests set it to exercise that path.
  bool no_pivot = false;
  // A deadline for the whole child, exec'd program included (zero: none). A hook that hangs blocks the container
  // start for good (runc waits on it and ignores SIGTERM), and what the child reads comes from the image (a FIFO
  // where ldconfig opens its configuration blocks it forever). Past the deadline the child is killed with SIGKILL;
  // it is pid 1 of its own pid namespace, so everything it started dies with it, and run_isolated_in_root throws
  // Error("<what> took longer than N s in container root R; killed").
  std::chrono::milliseconds timeout{0};
};

// Runs `body` in the isolated child with the container root as "/" and the current directory "/". `body` either
// returns (the child exits 0), throws (its message comes back here and is thrown as Error, one line), or replaces
// the child with exec. The caller waits for the child; a non-zero exit of what `body` exec'd is thrown as
// Error("<what> exited with status N"); see IsolationOptions::timeout for a child that does not finish. Must be called
// from a single-threaded process. The caller is suspended until the child execs or exits, and the child shares its
// memory until then: `body` may read what it captures but must not change the caller's objects.
void run_isolated_in_root(const std::filesystem::path& host_root, const std::string& what,
                          const std::function<void()>& body, const IsolationOptions& options = {});

}  // namespace gpuhooks::rootfs
