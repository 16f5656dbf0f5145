#pragma once
// A host binary carried into a container root as an immutable in-memory copy, then executed from there.
// Why: a host program run inside a container's view (ldconfig for update-ldcache) must not be reachable or
// writable from the container (CVE-2024-0135: the container could overwrite the host ldconfig through
// /proc/self/exe). The copy is a sealed memfd (F_SEAL_SEAL|SHRINK|GROW|WRITE), reopened read-only, so neither the
// container nor the program itself can change it; nothing is bind-mounted or written into the root (the reference
// leaves an empty /run/nvidia-ctk-hook/<uuid> directory behind; this copy leaves nothing).
#include <sys/resource.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace gpuhooks::rootfs {

// What a host program run inside a container root keeps of the hook: it parses the image's files (ELF headers,
// configuration), so it gets no more than its job needs.
struct ExecConfinement {
  std::vector<int> keep_capabilities;  // CAP_* numbers; every other capability goes, from the bounding set too
  rlim_t max_data_bytes = 0;           // RLIMIT_DATA (0: unchanged)
  rlim_t max_cpu_seconds = 0;          // RLIMIT_CPU (0: unchanged)
};

// What SealedBinary::exec does with a confinement, just before the exec: marks every descriptor above stderr
// close-on-exec (the sealed binary's own fd is already, and execveat needs it open until then: so nothing is closed
// here, everything at the exec), drops capabilities to `keep_capabilities` (effective, permitted and bounding;
// inheritable and ambient cleared), sets no_new_privs (the exec of a root-owned program cannot win them back) and
// the limits. Throws Error.
void confine_before_exec(const ExecConfinement& confinement);

// Every descriptor above stderr close-on-exec (close_range, else one by one before Linux 5.11): what a program
// about to be exec'd must not inherit. Throws Error when one cannot be marked.
void mark_all_close_on_exec();

class SealedBinary {
 public:
  // Copies `host_path` (opened now, in the caller's current mount namespace) into a sealed memfd.
  // Falls back to an unlinked O_TMPFILE copy in /dev/shm or /tmp where memfd_create is unavailable.
  // Throws Error naming the path on failure.
  static SealedBinary copy_of(const std::filesystem::path& host_path);

  int fd() const { return fd_.get(); }
  const std::filesystem::path& source() const { return source_; }
  bool sealed() const { return sealed_; }  // false for the O_TMPFILE fallback

  // Executes the copy with exactly `argv` and `envp` (nothing inherited), under `confinement` when one is given:
  // applied after the last allocation, because past RLIMIT_DATA an allocator that maps memory of its own
  // (AddressSanitizer's) fails before the exec. Needs no /proc and no path in the current root (execveat
  // AT_EMPTY_PATH). Returns only on failure, with the errno of the exec; throws Error when the confinement fails.
  int exec(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
           const ExecConfinement* confinement = nullptr) const;

 private:
  SealedBinary(UniqueFd fd, std::filesystem::path source, bool sealed)
      : fd_(std::move(fd)), source_(std::move(source)), sealed_(sealed) {}
  UniqueFd fd_;
  std::filesystem::path source_;
  bool sealed_ = false;
};

}  // namespace gpuhooks::rootfs
