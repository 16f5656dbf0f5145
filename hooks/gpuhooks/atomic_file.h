#pragma once
// Replacing a file atomically: write a temp file beside it, fsync, rename over the target. Readers see the old
// content or the new, never a mix; on any error the target is untouched and the temp file is removed.
// (`gpuhooks cdi inject` rewrites config.json this way; specs are written so by the reference, cdi.md §3.7.)
#include <sys/types.h>

#include <string>

namespace gpuhooks::cli {

// Keeps the target's permission bits when it exists, else uses `mode`. Throws Error naming the path.
void replace_file_atomically(const std::string& path, const std::string& content, mode_t mode = 0644);

}  // namespace gpuhooks::cli
