#pragma once
// Reading and writing an engine's config file for `gpuhooks runtime configure`. The files are the host's, named by
// the admin; still, reading is bounded and refuses what is not a regular file, so a FIFO or a directory gives a
// one-line error rather than a hang.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime_configure.h"

namespace gpuhooks::cli {

// The file's text; nullopt when it does not exist. Throws Error naming the file.
std::optional<std::string> read_config_text(const std::string& path);

// True when the text is only whitespace: an empty file is an empty config.
bool is_blank(std::string_view text);

// The 1-based line that byte `offset` (0-based) of `text` is on.
size_t line_at(std::string_view text, size_t offset);

// Writes each change in order (missing parent directories created, 0777 less the umask; the file replaced atomically,
// keeping an existing file's mode and owner) or, with `dry_run`, prints them to stdout and writes nothing. A file whose
// content is already the new one is left alone. Lost comments are one warning line per file. Returns how many files
// were written.
size_t apply_changes(const std::vector<FileChange>& changes, bool dry_run);

}  // namespace gpuhooks::cli
