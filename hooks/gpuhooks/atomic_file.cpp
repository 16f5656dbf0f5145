#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "common/rootfs/in_root.h"
#include "common/unique_fd.h"

namespace gpuhooks::cli {

StagedFile::StagedFile(std::string path, const std::string& content, mode_t mode) : path_(std::move(path)) {
  struct stat st;
  const bool existed = ::stat(path_.c_str(), &st) == 0;
  if (existed) mode = st.st_mode & 07777;
  std::string tmp = path_ + ".tmpXXXXXX";
  UniqueFd fd(::mkstemp(tmp.data()));
  if (!fd.valid()) throw sys_error("cannot create a temporary file beside " + path_);
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
  // Owner before mode: chown clears set-id bits, which fchmod then restores. Only when it differs, so a user who
  // may not chown rewrites a file of their own as before.
  struct stat tmp_st;
  if (::fstat(fd.get(), &tmp_st) != 0) throw fail("cannot stat " + tmp);
  if (existed && (tmp_st.st_uid != st.st_uid || tmp_st.st_gid != st.st_gid) &&
      ::fchown(fd.get(), st.st_uid, st.st_gid) != 0) {
    throw fail("cannot chown " + tmp);
  }
  if (::fchmod(fd.get(), mode) != 0) throw fail("cannot chmod " + tmp);
  if (::fsync(fd.get()) != 0) throw fail("cannot sync " + tmp);
  tmp_ = std::move(tmp);
}

StagedFile::StagedFile(StagedFile&& other) noexcept : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)) {
  other.tmp_.clear();
}

StagedFile::~StagedFile() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void StagedFile::commit() {
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw sys_error("cannot replace " + path_);
  tmp_.clear();
}

}  // namespace gpuhooks::cli
