#include "common/cdi/edits/annotations.h"

#include "common/cdi/spec/names.h"
#include "common/cdi/spec/quote.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::cdi {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string char_text(std::string_view s, size_t i) { return next_rune(s, i); }

}  // namespace

std::string annotation_key(std::string_view plugin_name, std::string_view device_id) {
  if (plugin_name.empty()) throw Error("invalid plugin name, empty");
  if (device_id.empty()) throw Error("invalid deviceID, empty");
  std::string name(plugin_name);
  name += '_';
  for (char c : device_id) name += c == '/' ? '_' : c;  // only the deviceID's slashes are replaced
  if (name.size() > 63) throw Error("invalid plugin+deviceID " + go_quote(name) + ", too long");
  if (!is_alnum(name.front()))
    throw Error("invalid name " + go_quote(name) + ", first '" + char_text(name, 0) + "' should be alphanumeric");
  if (name.size() > 2) {
    for (size_t i = 1; i < name.size() - 1;) {
      char c = name[i];
      if (is_alnum(c) || c == '_' || c == '-' || c == '.') {
        ++i;
        continue;
      }
      throw Error("invalid name " + go_quote(name) + ", invalid character '" + next_rune(name, i) + "'");
    }
  }
  if (!is_alnum(name.back()))
    throw Error("invalid name " + go_quote(name) + ", last '" + char_text(name, name.size() - 1) +
                "' should be alphanumeric");
  return std::string(kAnnotationPrefix) + name;
}

std::string annotation_value(const std::vector<std::string>& devices) {
  std::string value;
  for (const auto& d : devices) {
    parse_qualified_name(d);
    if (!value.empty()) value += ',';
    value += d;
  }
  return value;
}

void update_annotations(std::map<std::string, std::string>& annotations, std::string_view plugin_name,
                        std::string_view device_id, const std::vector<std::string>& devices) {
  std::string key, value;
  try {
    key = annotation_key(plugin_name, device_id);
  } catch (const Error& e) {
    throw Error(std::string("CDI annotation failed: ") + e.what());
  }
  if (annotations.count(key)) throw Error("CDI annotation failed, key " + go_quote(key) + " used");
  try {
    value = annotation_value(devices);
  } catch (const Error& e) {
    throw Error(std::string("CDI annotation failed: ") + e.what());
  }
  annotations.emplace(std::move(key), std::move(value));
}

AnnotationDevices parse_annotations(const std::map<std::string, std::string>& annotations) {
  AnnotationDevices out;
  for (const auto& [key, value] : annotations) {
    if (key.compare(0, kAnnotationPrefix.size(), kAnnotationPrefix) != 0) continue;
    for (auto& item : split(value, ',')) {
      if (!is_qualified_name(item)) throw Error("invalid CDI device name " + go_quote(item));
      out.devices.push_back(std::move(item));
    }
    out.keys.push_back(key);
  }
  return out;
}

}  // namespace gpuhooks::cdi
