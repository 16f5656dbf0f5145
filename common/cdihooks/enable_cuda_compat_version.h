#pragma once
// Versions and the decision of enable-cuda-compat (nvidia-hooks.md §1.5).
#include <compare>
#include <optional>
#include <string>
#include <vector>

#include "common/cdihooks/enable_cuda_compat_elf_note.h"

namespace gpuhooks::cdihook {

// A version as Masterminds semver parses it leniently (the reference's parser): optional "v", 1 to 3 numeric
// parts (missing ones are 0, leading zeros allowed: "575.57.08"), optional "-prerelease" and "+build".
struct Version {
  unsigned long long major = 0, minor = 0, patch = 0;
  std::string prerelease;  // build metadata is dropped: it does not take part in comparisons

  static std::optional<Version> parse(const std::string& text);
  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return (*this <=> other) == 0; }
};

struct CompatInputs {
  std::optional<Version> host_driver;    // --host-driver-version
  std::optional<Version> host_cuda;      // --host-cuda-version
  std::optional<Version> compat_driver;  // from the libcuda.so.<version> file name
  std::optional<CudaCompatNote> note;    // from the library's .note.cuda.fwd_compatibility
};

// Whether the compat libraries must take precedence over the host driver's (`useCompatLibraries`):
// with a note: both driver versions known -> host major listed in the note's "Driver" and compat > host driver;
//              otherwise -> a host CUDA version is given and the note's CUDA version is newer;
// without:     a host CUDA version is given -> no; either driver version unknown -> no;
//              otherwise -> host driver major < compat driver major.
bool use_compat_libraries(const CompatInputs& in);

}  // namespace gpuhooks::cdihook
