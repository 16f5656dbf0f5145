// Docker's daemon.json (nvidia-hooks.md §3.6): merged into the existing file with every key kept in its order
// (nlohmann::ordered_json), written with a 4-space indent as dockerd's own docs and nvidia-ctk write it.
//
// What is worth writing for Docker: gpuhooks ships no nvidia-container-runtime, so the part that serves GPUs is
// `features.cdi` (Docker 25+ resolves `--device nvidia.com/gpu=...` from the CDI specs `gpuhooks cdi generate`
// writes; dockerd 20.10 has `features` as a free map and ignores the key). A `runtimes.<name>` entry is written only
// when the admin names the runtime binary with --nvidia-runtime-path (e.g. NVIDIA's nvidia-container-runtime, if
// installed); an entry pointing at a binary that is not there would break every container run with it.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime_configure.h"
#include "runtime_file.h"

namespace gpuhooks::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json read_daemon_json(const std::string& path) {
  std::optional<std::string> text = read_config_text(path);
  if (!text || is_blank(*text)) return ordered_json::object();
  ordered_json doc;
  try {
    doc = ordered_json::parse(*text);
  } catch (const ordered_json::parse_error& e) {
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at line L, column C: "; the line is
    // ours (from the byte position), the rest is its reason.
    std::string why = e.what();
    if (size_t at = why.find(": "); at != std::string::npos) why = why.substr(at + 2);
    throw Error("cannot parse " + path + " at line " + std::to_string(line_at(*text, e.byte ? e.byte - 1 : 0)) + ": " +
                why);
  }
  if (!doc.is_object()) throw Error("cannot use " + path + ": not a JSON object");
  return doc;
}

// doc[key], which must be an object when present; created when absent.
ordered_json& object_at(ordered_json& doc, const std::string& key, const std::string& path) {
  ordered_json& v = doc[key];
  if (v.is_null()) v = ordered_json::object();
  if (!v.is_object()) throw Error("cannot use " + path + ": \"" + key + "\" is not a JSON object");
  return v;
}

}  // namespace

std::vector<FileChange> configure_docker(const RuntimeOptions& opts) {
  const std::string path = opts.config.empty() ? "/etc/docker/daemon.json" : opts.config;
  if (opts.runtime_path.empty() && !opts.cdi && !opts.set_as_default) {
    throw Error(
        "nothing to configure for docker: give --cdi.enabled (CDI devices, Docker 25+), or "
        "--nvidia-runtime-path for a runtime entry (gpuhooks ships no nvidia-container-runtime)");
  }
  ordered_json doc = read_daemon_json(path);
  if (!opts.runtime_path.empty()) {
    // {"args": [], "path": ...} as nvidia-ctk writes it; dockerd reads `path` (its own argument key is
    // runtimeArgs), so the entry is replaced whole.
    object_at(doc, "runtimes", path)[opts.runtime_name] = {{"args", ordered_json::array()},
                                                           {"path", opts.runtime_path}};
  }
  if (opts.set_as_default) {
    const ordered_json& runtimes = object_at(doc, "runtimes", path);
    if (!runtimes.contains(opts.runtime_name)) {
      throw Error("cannot set " + opts.runtime_name + " as the default runtime: " + path + " has no runtimes." +
                  opts.runtime_name + "; give --nvidia-runtime-path (gpuhooks ships no nvidia-container-runtime)");
    }
    doc["default-runtime"] = opts.runtime_name;
  }
  if (opts.cdi) object_at(doc, "features", path)["cdi"] = true;
  return {{path, doc.dump(4) + "\n", false}};
}

}  // namespace gpuhooks::cli
