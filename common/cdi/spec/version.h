#pragma once
// CDI spec versions (cdi.md §1.3-1.5, specs-go/version.go): the known set, the minimum version a spec's content needs
// (writers should emit it: nvidia-container-toolkit#38), and the reader's check that cdiVersion is known and high
// enough.
#include <optional>
#include <string>
#include <string_view>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

inline constexpr std::string_view kCurrentVersion = "1.1.0";
inline constexpr std::string_view kEarliestVersion = "0.3.0";

// Known versions 0.1.0 ... 1.1.0, after stripping one leading "v".
bool is_known_version(std::string_view version);

// Newest-first predicates of §1.3 over spec- and device-level edits; never has a leading "v" (e.g. "0.6.0").
std::string minimum_required_version(const Spec& spec);

// ValidateVersion: `invalid version "<raw>"` or `the spec version must be at least v<min>`.
std::optional<std::string> version_error(const Spec& spec);

// -1, 0, 1 for two known versions without "v".
int compare_versions(std::string_view a, std::string_view b);

}  // namespace gpuhooks::cdi
