#include "e2e/harness/read_only_bind.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gpuhooks::e2e {

ReadOnlyBind::ReadOnlyBind(std::filesystem::path dir) : dir_(std::move(dir)) {
  if (::mount(dir_.c_str(), dir_.c_str(), nullptr, MS_BIND, nullptr) != 0)
    throw std::runtime_error("bind mount of " + dir_.string() + " failed: " + std::strerror(errno));
  // A bind mount ignores MS_RDONLY in the first call; read-only takes a remount (mount(2)).
  if (::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    int err = errno;
    ::umount2(dir_.c_str(), MNT_DETACH);
    throw std::runtime_error("read-only remount of " + dir_.string() + " failed: " + std::strerror(err));
  }
}

ReadOnlyBind::~ReadOnlyBind() { ::umount2(dir_.c_str(), MNT_DETACH); }

}  // namespace gpuhooks::e2e
