#include "common/cdi/edits/host_device.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "common/cdi/spec/quote.h"
#include "common/error.h"

namespace gpuhooks::cdi {

DeviceNode fill_from_host(const DeviceNode& node) {
  DeviceNode n = node;
  // "Minimal": the spec already says enough to create the node without the host.
  bool minimal = !n.type.empty() && (n.major.value_or(0) != 0 || n.type == "p");
  if (n.host_path.empty()) n.host_path = n.path;

  // lstat, as the reference: a symlink is "not a device node".
  struct stat st;
  std::string host_type;
  std::string stat_error;
  if (::lstat(n.host_path.c_str(), &st) != 0) {
    stat_error = std::strerror(errno);
  } else if (S_ISBLK(st.st_mode)) {
    host_type = "b";
  } else if (S_ISCHR(st.st_mode)) {
    host_type = "c";
  } else if (S_ISFIFO(st.st_mode)) {
    host_type = "p";
  } else {
    stat_error = "not a device node";
  }
  if (!stat_error.empty()) {
    if (minimal) return n;
    throw Error("failed to stat CDI host device " + go_quote(n.host_path) + ": " + stat_error);
  }
  // fileMode comes from the host whenever it can be read, even for a minimal node (cdi PR #275: Kata saw 000).
  if (!n.file_mode) n.file_mode = static_cast<uint32_t>(st.st_mode & ~S_IFMT);
  if (minimal) return n;  // type and major are not cross-checked, as in the reference
  if (n.type.empty()) n.type = host_type;
  if (n.type != host_type)
    throw Error("CDI device (" + go_quote(n.path) + ", " + go_quote(n.host_path) + "), host type mismatch (" + n.type +
                ", " + host_type + ")");
  if (n.type == "p") return n;
  if (n.major.value_or(0) == 0) {
    // Both numbers come from the host, a minor given in the spec included.
    n.major = static_cast<int64_t>(major(st.st_rdev));
    n.minor = static_cast<int64_t>(minor(st.st_rdev));
  }
  return n;
}

}  // namespace gpuhooks::cdi
