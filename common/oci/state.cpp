#include "common/oci/state.h"

#include <iterator>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/oci/json_file.h"

namespace gpuhooks::oci {

using nlohmann::json;

static std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) throw Error(std::string("failed to decode container state: \"") + key + "\" is not a string");
  return it->get<std::string>();
}

State parse_state(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(std::string("failed to decode container state: ") + e.what());
  }
  if (!j.is_object()) throw Error("failed to decode container state: not a JSON object");
  State s;
  s.oci_version = string_field(j, "ociVersion");
  s.id = string_field(j, "id");
  s.status = string_field(j, "status");
  s.bundle = string_field(j, "bundle");
  if (s.bundle.empty()) s.bundle = string_field(j, "bundlePath");
  s.root = string_field(j, "root");
  if (auto it = j.find("pid"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) throw Error("failed to decode container state: \"pid\" is not an integer");
    s.pid = it->get<int>();
  }
  if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items())
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
  }
  return s;
}

State read_state(const std::string& spec_path, std::istream& in) {
  if (spec_path.empty() || spec_path == "-") {
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_state(text);
  }
  const std::string what = "failed to open container state " + quote(spec_path);
  return parse_state(read_json_file(spec_path, what, what));
}

static std::string root_from_config(const std::filesystem::path& bundle) {
  const std::string config = (bundle / "config.json").string();
  const std::string source = "failed to load OCI spec " + quote(config);
  json j;
  try {
    j = json::parse(read_json_file(config, source, source));
  } catch (const json::parse_error& e) {
    throw Error(source + ": " + json_error_text(e));
  }
  if (!j.is_object()) throw Error(source + ": not a JSON object");
  auto root = j.find("root");
  if (root == j.end() || !root->is_object()) return {};
  auto path = root->find("path");
  if (path == root->end() || !path->is_string()) return {};
  return path->get<std::string>();
}

std::filesystem::path container_root(const State& state) {
  std::string root = state.root;
  if (root.empty()) {
    if (state.bundle.empty()) throw Error("container state names no bundle and no root");
    root = root_from_config(state.bundle);
  }
  std::filesystem::path p(root);
  if (!p.is_absolute()) p = std::filesystem::path(state.bundle) / p;
  std::string normal = p.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

}  // namespace gpuhooks::oci
