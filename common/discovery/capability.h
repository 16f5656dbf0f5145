#pragma once
// Driver capabilities (NVIDIA_DRIVER_CAPABILITIES words) and the files each one brings: the name lists of
// libnvidia-container's src/nvc_info.c, verbatim (libnvidia-container.md A.1.2), plus the toolkit's additions
// (nvidia-hooks.md §3.2): nvidia-imex binaries, graphics libraries with their own version numbers.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks::discovery {

enum class Capability { kUtility, kCompute, kVideo, kGraphics, kDisplay, kNgx, kCompat32 };

const std::vector<Capability>& all_capabilities();  // in the order above
std::string_view capability_name(Capability c);
std::optional<Capability> parse_capability(std::string_view name);

struct CapabilityFiles {
  std::vector<std::string> libraries;              // prefixes; kept only with the driver's version suffix
  std::vector<std::string> any_version_libraries;  // prefixes of libraries versioned on their own
  std::vector<std::string> binaries;
};

// The names a capability owns. compat32 owns no names: it adds the 32-bit matches of the other capabilities.
const CapabilityFiles& capability_files(Capability c);

}  // namespace gpuhooks::discovery
