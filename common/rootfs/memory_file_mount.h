#pragma once
// Showing a file with given content at a path in a container, without creating anything in its rootfs.
// Why: disable-device-node-modification must replace /proc/driver/nvidia/params in the container. The reference
// creates a directory /run/nvidia-ctk-hook<uuid> in the rootfs, mounts a tmpfs on it and bind-mounts a file from
// there; the directory and that tmpfs stay visible in the container (nvidia-hooks.md §4 weaknesses).
// Here the tmpfs is never attached where anyone can see it: a short-lived child in a private mount namespace
// creates it (fsopen/fsmount), writes the file, clones a detached read-only bind mount of just that file
// (open_tree) and passes it back; the caller attaches it over the target with move_mount. The only trace is the
// mount on the target itself.
#include <sys/types.h>

#include <string>

namespace gpuhooks::rootfs {

// Mounts a read-only (MOUNT_ATTR_RDONLY|NOSUID|NODEV|NOEXEC) file holding `content`, with `mode`, over the file
// that `target_fd` (an O_PATH fd, e.g. from InRoot::open) refers to, in the caller's mount namespace.
// `what` names the target in errors. Needs Linux 5.2 (new mount API); throws Error otherwise.
void mount_memory_file_over(int target_fd, const std::string& content, mode_t mode, const std::string& what);

}  // namespace gpuhooks::rootfs
