#pragma once
// A small tmpfs mounted on a directory for as long as the object lives, to be a container root that runs out of
// room: fill_up() takes all its space (or all its inodes), leave_free() gives a few pages back, so a test decides
// which of the hook's writes is the first to fail with ENOSPC.
#include <filesystem>
#include <string>

namespace gpuhooks::e2e {

class SmallTmpfs {
 public:
  // `options` as for mount -o: "size=1m", "nr_inodes=64". Throws std::runtime_error when mount(2) fails.
  SmallTmpfs(std::filesystem::path dir, const std::string& options);
  ~SmallTmpfs();  // lazy unmount: whatever is inside goes with it
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  // Writes <dir>/.filler until the filesystem has no byte left.
  void fill_up() const;
  // Creates empty files in <dir>/.filler-inodes/ until no inode is left.
  void use_up_inodes() const;
  // Shortens the filler by `bytes` (whole pages on tmpfs): that much room is free again.
  void leave_free(size_t bytes) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace gpuhooks::e2e
