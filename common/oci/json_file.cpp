#include "common/oci/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::oci {

std::string read_json_file(const std::string& path, const std::string& open_what, const std::string& read_what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) throw sys_error(open_what);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error(open_what);
  if (S_ISDIR(st.st_mode)) throw Error(read_what + ": is a directory");
  if (!S_ISREG(st.st_mode)) throw Error(read_what + ": not a regular file");
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error(read_what);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxJsonFileBytes) throw Error(read_what + ": larger than 16 MiB");
  }
  return text;
}

std::string json_error_text(const std::exception& e) {
  std::string what = e.what();
  if (size_t tag = what.find("] "); tag != std::string::npos) what.erase(0, tag + 2);
  return what;
}

}  // namespace gpuhooks::oci
