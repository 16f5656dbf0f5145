#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/unique_fd.h"

namespace gpuhooks::cli {

void replace_file_atomically(const std::string& path, const std::string& content, mode_t mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  std::string tmp = path + ".tmpXXXXXX";
  UniqueFd fd(::mkstemp(tmp.data()));
  if (!fd.valid()) throw sys_error("cannot create a temporary file beside " + path);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::unlink(tmp.c_str());
    return sys_error(what, err);
  };
  try {
    rootfs::write_all(fd.get(), content, tmp);
  } catch (const Error&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fchmod(fd.get(), mode) != 0) throw fail("cannot chmod " + tmp);
  if (::fsync(fd.get()) != 0) throw fail("cannot sync " + tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw fail("cannot replace " + path);
}

}  // namespace gpuhooks::cli
