#pragma once
// NVIDIA_REQUIRE_* constraints against the host (libnvidia-container.md A.3.5, nvidia-hooks.md §2.7): within one
// value, space-separated terms are ORed and comma-separated factors within a term ANDed; separate values are ANDed.
// A factor is <property><op><value>, op one of != <= >= = < >; properties cuda, driver, arch (version compare) and
// brand (string compare).
#include <string>
#include <vector>

namespace gpuhooks::request {

struct HostFacts {
  std::string cuda_version;                       // the driver's CUDA version, "12.4"
  std::string driver_version;                     // "550.54.15"
  std::string brand;                              // "tesla", "geforce", ... (lower case); empty when unknown
  std::vector<std::string> compute_capabilities;  // "9.0" per GPU in the request; arch must hold for each
};

// Throws Error("unsatisfied condition: <requirement> (host: cuda 12.4, driver 550.54.15, brand tesla, arch 9.0)")
// for the first unmet value, and Error("invalid requirement <value>: ...") for a value that does not parse.
void check_requirements(const std::vector<std::string>& requirements, const HostFacts& host);

}  // namespace gpuhooks::request
