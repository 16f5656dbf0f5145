#include "common/rootfs/sealed_exec.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "common/rootfs/in_root.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: ask for an executable memfd where vm.memfd_noexec would deny it
#endif

namespace gpuhooks::rootfs {
namespace {

UniqueFd create_memfd(const std::string& name) {
  int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return UniqueFd(fd);
}

UniqueFd create_tmpfile() {
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    int fd = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);
    if (fd >= 0) return UniqueFd(fd);
  }
  return UniqueFd();
}

void copy_all(int from, int to, off_t size, const std::string& what) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = ::sendfile(to, from, nullptr, static_cast<size_t>(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("failed to copy " + what);
    if (n == 0) throw Error("failed to copy " + what + ": the file shrank while it was read");
    done += n;
  }
}

// A writable fd on the copy must not survive: exec refuses files open for writing (ETXTBSY), and a read-only fd
// cannot be turned back into a writable one.
UniqueFd reopen_read_only(const UniqueFd& fd) {
  return UniqueFd(::open(InRoot::proc_fd_path(fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
}

void drop_capabilities(const std::vector<int>& keep) {
  uint64_t mask = 0;
  for (int cap : keep) mask |= uint64_t{1} << cap;
  // The bounding set needs CAP_SETPCAP to shrink; without it (EPERM) the capset and no_new_privs below still hold
  // the program to `keep`. EINVAL: past the kernel's last capability.
  for (int cap = 0; cap < 64; ++cap) {
    if (mask & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
      throw sys_error("failed to drop capability " + std::to_string(cap) + " from the bounding set");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    throw sys_error("failed to clear the ambient capabilities");
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) throw sys_error("failed to read the capabilities");
  for (int i = 0; i < 2; ++i) {
    const auto part = static_cast<uint32_t>(mask >> (32 * i));
    data[i].permitted &= part;
    data[i].effective = data[i].permitted;
    data[i].inheritable = 0;
  }
  if (::syscall(SYS_capset, &header, data) != 0) throw sys_error("failed to drop capabilities");
}

void set_limit(int resource, rlim_t value, const char* name) {
  if (value == 0) return;
  struct rlimit lim {};
  if (::getrlimit(resource, &lim) == 0 && lim.rlim_max != RLIM_INFINITY) value = std::min(value, lim.rlim_max);
  lim = {value, value};
  if (::setrlimit(resource, &lim) != 0) throw sys_error(std::string("failed to set ") + name);
}

}  // namespace

// Everything above stderr close-on-exec: a host directory the hook inherited (from a careless caller) must not be
// reachable from the program as /proc/self/fd/N, which an image's symlink (/var/cache/ldconfig -> /proc/self/fd/N)
// would otherwise write through.
void mark_all_close_on_exec() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  // Before Linux 5.11: one fd at a time, up to the descriptor limit.
  struct rlimit lim {};
  rlim_t max = 1 << 16;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    max = std::min<rlim_t>(lim.rlim_cur, 1 << 20);
  for (rlim_t fd = 3; fd < max; ++fd) {
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC) && ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC) != 0)
      throw sys_error("failed to mark descriptor " + std::to_string(fd) + " close-on-exec");
  }
}

void confine_before_exec(const ExecConfinement& confinement) {
  mark_all_close_on_exec();
  set_limit(RLIMIT_DATA, confinement.max_data_bytes, "RLIMIT_DATA");
  set_limit(RLIMIT_CPU, confinement.max_cpu_seconds, "RLIMIT_CPU");
  drop_capabilities(confinement.keep_capabilities);
  // With no_new_privs an exec grants no capability the caller does not hold: the root-uid rule (a root program
  // gets the bounding set) is clamped to the permitted set above, even where the bounding set could not shrink.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw sys_error("failed to set no_new_privs");
}

SealedBinary SealedBinary::copy_of(const std::filesystem::path& host_path) {
  const std::string what = host_path.string();
  UniqueFd src(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.valid()) throw sys_error("failed to open " + what);
  struct stat st {};
  if (::fstat(src.get(), &st) != 0) throw sys_error("failed to stat " + what);
  if (!S_ISREG(st.st_mode)) throw Error(what + " is not a regular file");

  bool sealed = true;
  UniqueFd copy = create_memfd("gpuhooks-sealed:" + host_path.filename().string());
  if (!copy.valid()) {
    sealed = false;
    copy = create_tmpfile();
  }
  if (!copy.valid()) throw sys_error("failed to create an in-memory copy of " + what);
  copy_all(src.get(), copy.get(), st.st_size, what);
  if (!sealed && ::fchmod(copy.get(), 0500) != 0) throw sys_error("failed to make the copy of " + what + " executable");
  if (sealed && ::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    throw sys_error("failed to seal the copy of " + what);
  UniqueFd ro = reopen_read_only(copy);
  if (!ro.valid()) throw sys_error("failed to reopen the copy of " + what + " read-only");
  return SealedBinary(std::move(ro), host_path, sealed);
}

int SealedBinary::exec(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
                       const ExecConfinement* confinement) const {
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : envp) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  if (confinement) confine_before_exec(*confinement);
  // The fd is close-on-exec, so a script (which its interpreter would reopen as /dev/fd/N) fails with ENOENT;
  // only binaries can be carried this way, which is what ldconfig is.
  ::syscall(SYS_execveat, fd_.get(), "", args.data(), env.data(), AT_EMPTY_PATH);
  return errno;
}

}  // namespace gpuhooks::rootfs
