#pragma once
// A directory made read-only in place, for as long as the object lives: a bind mount of the directory onto itself,
// remounted read-only. runc's own bind of the rootfs inherits the read-only flag, so hooks meet a read-only root
// (unlike config.json's root.readonly, which runc applies only after the createContainer hooks, runtimes.md §1a).
#include <filesystem>

namespace gpuhooks::e2e {

class ReadOnlyBind {
 public:
  explicit ReadOnlyBind(std::filesystem::path dir);  // throws std::runtime_error when mount(2) fails
  ~ReadOnlyBind();                                   // lazy unmount: the directory is writable and removable again
  ReadOnlyBind(const ReadOnlyBind&) = delete;
  ReadOnlyBind& operator=(const ReadOnlyBind&) = delete;

 private:
  std::filesystem::path dir_;
};

}  // namespace gpuhooks::e2e
