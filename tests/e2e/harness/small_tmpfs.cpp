#include "e2e/harness/small_tmpfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace gpuhooks::e2e {

SmallTmpfs::SmallTmpfs(std::filesystem::path dir, const std::string& options) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  if (::mount("gpuhooks-e2e-small", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
    throw std::runtime_error("tmpfs mount on " + dir_.string() + " failed: " + std::strerror(errno));
}

SmallTmpfs::~SmallTmpfs() { ::umount2(dir_.c_str(), MNT_DETACH); }

void SmallTmpfs::fill_up() const {
  const std::string path = (dir_ / ".filler").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  const std::vector<char> page(4096, 'f');
  for (;;) {
    ssize_t n = ::write(fd, page.data(), page.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < static_cast<ssize_t>(page.size())) break;  // ENOSPC, or a short write into the last bytes
  }
  ::close(fd);
}

void SmallTmpfs::use_up_inodes() const {
  const std::filesystem::path dir = dir_ / ".filler-inodes";
  std::filesystem::create_directories(dir);
  for (int i = 0;; ++i) {
    int fd = ::open((dir / std::to_string(i)).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == ENOSPC) return;
      throw std::runtime_error("cannot create a filler in " + dir.string() + ": " + std::strerror(errno));
    }
    ::close(fd);
  }
}

void SmallTmpfs::leave_free(size_t bytes) const {
  const std::string path = (dir_ / ".filler").string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || static_cast<size_t>(st.st_size) < bytes)
    throw std::runtime_error(path + " is missing or smaller than " + std::to_string(bytes) + " bytes");
  if (::truncate(path.c_str(), st.st_size - static_cast<off_t>(bytes)) != 0)
    throw std::runtime_error("cannot shorten " + path + ": " + std::strerror(errno));
}

}  // namespace gpuhooks::e2e
