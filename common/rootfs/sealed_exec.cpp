#include "common/rootfs/sealed_exec.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

}  // namespace

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

int SealedBinary::exec(const std::vector<std::string>& argv, const std::vector<std::string>& envp) const {
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : envp) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  // The fd is close-on-exec, so a script (which its interpreter would reopen as /dev/fd/N) fails with ENOENT;
  // only binaries can be carried this way, which is what ldconfig is.
  ::syscall(SYS_execveat, fd_.get(), "", args.data(), env.data(), AT_EMPTY_PATH);
  return errno;
}

}  // namespace gpuhooks::rootfs
