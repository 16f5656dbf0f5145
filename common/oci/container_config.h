#pragma once
// The parts of a bundle's config.json the prestart hook reads (nvidia-hooks.md §2.3): the process environment and
// bounding capabilities, the root, the mounts, and the annotations (ours: oci/gpus_annotation.h). Read from the bundle,
// never from the hook's own environment.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks::oci {

struct ConfigMount {
  std::string destination;
  std::string source;
  std::string type;
  std::vector<std::string> options;
};

struct ContainerConfig {
  std::string oci_version;
  // process.env as KEY -> value; the last of duplicate keys wins (the reference's rule). An entry without '=' is an
  // Error at parse time. present(k) distinguishes "set but empty" from "unset".
  std::map<std::string, std::string> env;
  std::vector<std::string> bounding_capabilities;  // process.capabilities.bounding (or the plain-array legacy form)
  std::string root_path;                           // root.path as written (may be relative to the bundle)
  bool root_readonly = false;
  std::vector<ConfigMount> mounts;
  std::map<std::string, std::string> annotations;

  bool has_env(const std::string& key) const { return env.count(key) != 0; }
  // The value, or nullopt when unset.
  std::optional<std::string> env_value(const std::string& key) const;
  bool privileged() const;  // CAP_SYS_ADMIN in the bounding set (nvidia-hooks.md §2.5.4)
};

// Parses config.json text. Throws Error("<source>: <what>") with one line: not JSON, not an object, a missing
// ociVersion, process or root (the reference's words: "<source>: Process is empty in OCI spec"), an env entry without
// '=' (quoted), a wrong type. JSON null counts as absent, as for Go's decoder.
ContainerConfig parse_container_config(std::string_view json_text, const std::string& source);

// <bundle>/config.json. Throws Error naming the file (quoted, so a newline in the path stays on one line) when it
// cannot be read (missing, a directory, unreadable) or parsed.
ContainerConfig read_container_config(const std::string& bundle_dir);

// s between two `mark` characters, with that character, backslash and control bytes escaped (\n, \x1b): puts a
// user-controlled value (a path, an env entry) into a one-line Error. The request room uses it too.
std::string quote(std::string_view s, char mark = '"');

}  // namespace gpuhooks::oci
