#include "common/config/oci_hook_file.h"

#include <nlohmann/json.hpp>

namespace gpuhooks::config {

std::string oci_hook_file_json(const std::string& hook_path, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  const nlohmann::json file = {
      {"version", "1.0.0"},
      {"hook", {{"path", hook_path}, {"args", {"nvidia-container-runtime-hook", "prestart"}}, {"env", env}}},
      {"when", {{"always", true}}},
      {"stages", {"prestart"}},
  };
  return file.dump(2) + "\n";
}

}  // namespace gpuhooks::config
