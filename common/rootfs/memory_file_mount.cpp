#include "common/rootfs/memory_file_mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/unique_fd.h"

namespace gpuhooks::rootfs {
namespace {

constexpr const char* kFileName = "content";

// The tmpfs, attached only inside the child's private namespace (older kernels cannot clone from a detached
// mount), then a detached read-only bind mount of the one file in it.
UniqueFd detached_file_mount(const std::string& content, mode_t mode) {
  if (::unshare(CLONE_NEWNS) != 0) throw sys_error("failed to create a private mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw sys_error("failed to make the private mount namespace private");
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid()) throw sys_error("failed to open a tmpfs context (fsopen)");
  const std::string size = std::to_string(content.size() + 1);
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", size.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0700", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    throw sys_error("failed to create a tmpfs");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mnt.valid()) throw sys_error("failed to mount a tmpfs (fsmount)");
  if (::move_mount(mnt.get(), "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw sys_error("failed to attach the tmpfs in the private mount namespace");
  UniqueFd file(::openat(mnt.get(), kFileName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!file.valid()) throw sys_error("failed to create the replacement file");
  write_all(file.get(), content, "the replacement file");
  if (::fchmod(file.get(), mode) != 0) throw sys_error("failed to set the mode of the replacement file");
  UniqueFd tree(::open_tree(mnt.get(), kFileName, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) throw sys_error("failed to clone a mount of the replacement file (open_tree)");
  // A plain MS_BIND ignores MS_RDONLY (the reference's flags are silently dropped); set it on the mount itself.
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) return tree;
  if (errno != ENOSYS) throw sys_error("failed to make the replacement file's mount read-only");
  // Before Linux 5.12 (no mount_setattr): the attached tmpfs itself is made read-only by a bind remount, and the
  // file cloned from it again, flags and all. The file is closed first: a mount with a writer cannot become read-only.
  file.reset();
  if (::mount(nullptr, InRoot::proc_fd_path(mnt.get()).c_str(), nullptr,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw sys_error("failed to make the replacement file's mount read-only");
  tree = UniqueFd(::open_tree(mnt.get(), kFileName, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) throw sys_error("failed to clone a mount of the replacement file (open_tree)");
  return tree;
}

void send_result(int sock, int fd, const std::string& error) {
  struct iovec iov {};
  std::string payload = error.empty() ? std::string("ok") : error;
  iov.iov_base = payload.data();
  iov.iov_len = payload.size();
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  (void)::sendmsg(sock, &msg, MSG_NOSIGNAL);
}

// Returns the passed fd, or throws the child's error text.
UniqueFd receive_result(int sock) {
  char text[1024];
  struct iovec iov {
    text, sizeof text
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw sys_error("failed to receive the replacement file's mount");
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return UniqueFd(fd);
    }
  }
  throw Error(n > 0 ? std::string(text, static_cast<size_t>(n)) : "the mount helper exited without a result");
}

}  // namespace

void mount_memory_file_over(int target_fd, const std::string& content, mode_t mode, const std::string& what) {
  int socks[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) != 0)
    throw sys_error("failed to create a socket pair for the mount helper");
  UniqueFd parent_sock(socks[0]), child_sock(socks[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("failed to fork the mount helper");
  if (pid == 0) {
    parent_sock.reset();
    try {
      UniqueFd tree = detached_file_mount(content, mode);
      send_result(child_sock.get(), tree.get(), "");
      ::_exit(0);
    } catch (const std::exception& e) {
      send_result(child_sock.get(), -1, e.what());
    }
    ::_exit(1);
  }
  child_sock.reset();
  UniqueFd tree;
  try {
    tree = receive_result(parent_sock.get());
  } catch (...) {
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  ::waitpid(pid, nullptr, 0);
  if (::move_mount(tree.get(), "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    throw sys_error("failed to mount the replacement file over " + what);
}

}  // namespace gpuhooks::rootfs
