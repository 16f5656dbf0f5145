#pragma once
// Before/after pictures of host paths for the escape tests: a hostile image must change nothing outside its root.
#include <filesystem>
#include <string>

namespace gpuhooks::e2e {

// Every entry at and below `path` (symlinks not followed), one per line: relative name, type, mode, inode, size,
// mtime (ns), link target, and a hash of file contents. Directory mtimes are included, so a file created and removed
// again still shows. "<missing>" when `path` does not exist.
std::string describe_host_tree(const std::filesystem::path& path);

// What an image holds at and below `path`: one line per entry (relative name, type and mode, link target, a hash of
// file contents), sorted. Unlike describe_host_tree, no inode numbers or times: a run that writes a file and takes
// it back leaves the image's files as they were, even though the directory's mtime moved.
std::string describe_image_files(const std::filesystem::path& path);

// The lines of the host's /proc/self/mountinfo whose mount point or source contains `needle`.
std::string host_mounts_containing(const std::string& needle);

}  // namespace gpuhooks::e2e
