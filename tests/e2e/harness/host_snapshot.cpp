#include "e2e/harness/host_snapshot.h"

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

void describe_entry(const fs::path& p, const std::string& name, std::ostream& out) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    out << name << " <vanished>\n";
    return;
  }
  out << name << " mode=" << std::oct << st.st_mode << std::dec << " ino=" << st.st_ino << " size=" << st.st_size
      << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
  if (S_ISLNK(st.st_mode)) out << " -> " << fs::read_symlink(p).string();
  if (S_ISREG(st.st_mode)) out << " hash=" << std::hash<std::string>{}(test::read_file(p));
  out << "\n";
}

}  // namespace

std::string describe_host_tree(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return "<missing>\n";
  std::ostringstream out;
  describe_entry(path, ".", out);
  if (fs::is_directory(fs::symlink_status(path))) {
    std::set<fs::path> entries;  // sorted, so two listings compare equal regardless of readdir order
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      entries.insert(it->path());
    for (const auto& e : entries) describe_entry(e, fs::relative(e, path).string(), out);
  }
  return out.str();
}

std::string describe_image_files(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return "<missing>\n";
  std::set<std::string> lines;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path p = it->path();
    struct stat st {};
    std::string line = p.lexically_relative(path).string();
    if (::lstat(p.c_str(), &st) != 0) {
      lines.insert(line + " <vanished>");
      continue;
    }
    std::ostringstream mode;
    mode << std::oct << st.st_mode;
    line += " mode=" + mode.str();
    if (S_ISLNK(st.st_mode)) line += " -> " + fs::read_symlink(p).string();
    if (S_ISREG(st.st_mode)) line += " hash=" + std::to_string(std::hash<std::string>{}(test::read_file(p)));
    lines.insert(line);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string host_mounts_containing(const std::string& needle) {
  std::ifstream f("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(f, line))
    if (line.find(needle) != std::string::npos) found += line + "\n";
  return found;
}

}  // namespace gpuhooks::e2e
