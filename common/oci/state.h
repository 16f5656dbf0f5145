#pragma once
// The OCI state a runtime writes to a hook's stdin, and the container root it points at.
// Forms accepted (../shared/reference/nvidia-hooks.md §1.2, runtimes.md §1c):
//   runc:   no "root"; createContainer "pid" is 1 (the PID inside the container).
//   crun:   "root" copied from config.json, possibly relative ("rootfs"); createContainer "pid" is 0.
//   legacy: "bundlePath" instead of "bundle" (runc before OCI 1.0).
#include <filesystem>
#include <istream>
#include <map>
#include <optional>
#include <string>

namespace gpuhooks::oci {

struct State {
  std::string oci_version;
  std::string id;
  std::string status;
  std::optional<int> pid;
  std::string bundle;
  std::string root;  // crun's extension; empty when the runtime did not send it
  std::map<std::string, std::string> annotations;
};

// Throws Error("failed to decode container state: ...") on malformed input.
State parse_state(const std::string& json);

// `spec_path` as the hooks' --container-spec flag: "" or "-" reads stdin, anything else names a file.
State read_state(const std::string& spec_path, std::istream& in);

// The container root as a host path: state.root if set, else config.json's root.path; a relative path is joined to
// the bundle; no root at all means the bundle itself (the reference's tested behaviour).
std::filesystem::path container_root(const State& state);

}  // namespace gpuhooks::oci
