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

namespace {

// config.json's root.path, read without building the document: a hook needs that one string of a file that holds
// every mount, env entry and hook argument of the container (18 KB for a CDI spec's GPU), and building it all was a
// quarter of a hook's CPU. Duplicate keys resolve as in a parsed document: the last "root" (and its last "path") wins.
class RootPathReader : public nlohmann::json_sax<json> {
 public:
  bool is_object() const { return top_is_object_; }
  std::string path() const { return path_; }
  const std::string& error() const { return error_; }

  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object_ = true;
    if (depth_ == 1) in_root_ = root_key_;  // the value of "root" is an object
    ++depth_;
    return true;
  }
  bool end_object() override {
    if (--depth_ == 1) in_root_ = false;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      root_key_ = k == "root";
      if (root_key_) path_.clear();  // a later "root" replaces an earlier one
    } else if (depth_ == 2 && in_root_) {
      path_key_ = k == "path";
      if (path_key_) path_.clear();
    }
    return true;
  }
  bool string(string_t& v) override {
    if (path_value()) path_ = v;
    return true;
  }
  // Any other value: a "path" that is not a string leaves it empty, as the document reading did.
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = json_error_text(e);
    return false;
  }

 private:
  bool path_value() const { return depth_ == 2 && in_root_ && path_key_; }
  int depth_ = 0;
  bool top_is_object_ = false;
  bool root_key_ = false;  // the last key at the top level was "root"
  bool in_root_ = false;   // inside the top-level "root" object
  bool path_key_ = false;  // the last key in it was "path"
  std::string path_;
  std::string error_;
};

std::string root_from_config(const std::filesystem::path& bundle) {
  const std::string config = (bundle / "config.json").string();
  const std::string source = "failed to load OCI spec " + quote(config);
  const std::string text = read_json_file(config, source, source);
  RootPathReader reader;
  if (!json::sax_parse(text, &reader)) throw Error(source + ": " + reader.error());
  if (!reader.is_object()) throw Error(source + ": not a JSON object");
  return reader.path();
}

}  // namespace

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
