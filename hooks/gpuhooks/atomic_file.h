#pragma once
// Replacing a file atomically: write a temp file beside it, fsync, rename over the target. Readers see the old
// content or the new, never a mix; on any error the target is untouched and the temp file is removed.
// (`gpuhooks cdi inject` rewrites config.json this way; specs are written so by the reference, cdi.md §3.7.)
#include <sys/types.h>

#include <string>

namespace gpuhooks::cli {

// The new content, written and synced to a temp file beside `path`, until commit() renames it over `path`. A
// command that changes several files stages them all first, so a file that cannot be written (a read-only
// directory) stops the command before any target changes. Keeps the target's permission bits and owner when it
// exists, else uses `mode` (and the caller's owner). Throws Error naming the path. Not committed: the temp file is
// removed.
class StagedFile {
 public:
  StagedFile(std::string path, const std::string& content, mode_t mode = 0644);
  ~StagedFile();
  StagedFile(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile& operator=(StagedFile&&) = delete;
  void commit();

 private:
  std::string path_, tmp_;
};

inline void replace_file_atomically(const std::string& path, const std::string& content, mode_t mode = 0644) {
  StagedFile(path, content, mode).commit();
}

}  // namespace gpuhooks::cli
