// Which config.toml the hook reads, and reading it (nvidia-hooks.md §2.2). The file is the host's, named by the
// hook's own flag or environment, never by the container; still, it is read through one bounded fd so that a
// directory, a FIFO or a huge file gives a one-line error rather than a hang or an allocation failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "common/config/hook_config.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::config {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // a real config.toml is a few KiB
constexpr const char* kConfigRelPath = "nvidia-container-runtime/config.toml";

struct ConfigPath {
  std::string path;
  bool required = false;
  std::string named_by;  // for the error: where the path came from
};

// As the reference's hook: the flag, then NVIDIA_CTK_CONFIG_FILE_PATH (both required), then the XDG path when
// XDG_CONFIG_HOME is set, else the /etc one. A set XDG_CONFIG_HOME replaces /etc rather than falling back to it,
// as the reference's GetConfigFilePath does. An empty value counts as unset, as Go's os.Getenv != "" does.
ConfigPath choose_path(const std::string& flag_path, const std::function<const char*(const char*)>& getenv) {
  auto env = [&](const char* name) {
    const char* v = getenv(name);
    return std::string(v ? v : "");
  };
  if (!flag_path.empty()) return {flag_path, true, "-config"};
  if (std::string p = env("NVIDIA_CTK_CONFIG_FILE_PATH"); !p.empty()) {
    return {p, true, "NVIDIA_CTK_CONFIG_FILE_PATH"};
  }
  if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) {
    return {xdg + (xdg.ends_with('/') ? "" : "/") + kConfigRelPath, false, "XDG_CONFIG_HOME"};
  }
  return {std::string("/etc/") + kConfigRelPath, false, "the default path"};
}

std::string what_file(const ConfigPath& p) { return "config file " + p.path + " (from " + p.named_by + ")"; }

// The file's text, or nullopt when an optional file does not exist. O_NONBLOCK keeps open() from waiting for a
// writer when the path is a FIFO; the fstat check then refuses it.
std::optional<std::string> read_config_file(const ConfigPath& p) {
  UniqueFd fd(::open(p.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT && !p.required) return std::nullopt;
    throw sys_error(what_file(p));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw sys_error(what_file(p));
  if (S_ISDIR(st.st_mode)) throw Error(what_file(p) + ": is a directory, not a file");
  if (!S_ISREG(st.st_mode)) throw Error(what_file(p) + ": not a regular file");
  const std::string too_big = what_file(p) + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes";
  if (static_cast<unsigned long long>(st.st_size) > kMaxConfigBytes) throw Error(too_big);

  // Read until EOF rather than st_size bytes, bounded again, so a file that grew after fstat is caught too.
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error(what_file(p));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) throw Error(too_big);
  }
  return text;
}

}  // namespace

HookConfig load_hook_config(const std::string& flag_path, const std::function<const char*(const char*)>& getenv) {
  const ConfigPath p = choose_path(flag_path, getenv);
  std::optional<std::string> text = read_config_file(p);
  if (!text) return HookConfig{};
  return parse_hook_config(*text, p.path);
}

}  // namespace gpuhooks::config
