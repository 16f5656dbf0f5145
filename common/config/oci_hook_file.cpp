#include "common/config/oci_hook_file.h"

#include <nlohmann/json.hpp>

#include "common/oci/gpus_annotation.h"

namespace gpuhooks::config {
namespace {

// The annotation's exact name as the regular expression the hooks library matches keys with.
std::string exact_key_regex(std::string_view key) {
  std::string out = "^";
  for (char c : key) {
    if (std::string_view(".^$*+?()[]{}|\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out + "$";
}

}  // namespace

std::string oci_hook_file_json(const std::string& hook_path, HookWhen when, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  // Any value, "" included: the hook decides what the value asks for.
  const nlohmann::json condition =
      when == HookWhen::Always ? nlohmann::json{{"always", true}}
                               : nlohmann::json{{"annotations", {{exact_key_regex(oci::kGpusAnnotation), ".*"}}}};
  const nlohmann::json file = {
      {"version", "1.0.0"},
      {"hook", {{"path", hook_path}, {"args", {"nvidia-container-runtime-hook", "prestart"}}, {"env", env}}},
      {"when", condition},
      {"stages", {"prestart"}},
  };
  return file.dump(2) + "\n";
}

}  // namespace gpuhooks::config
