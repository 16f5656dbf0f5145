#include "common/cdi/spec/names.h"

#include "common/cdi/spec/quote.h"
#include "common/error.h"

namespace gpuhooks::cdi {
namespace {

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_letter(c) || (c >= '0' && c <= '9'); }

// The middle characters are checked rune by rune, as Go ranges over a string: the message shows the whole rune.
std::optional<std::string> invalid_middle(std::string_view name, std::string_view extra, const char* what) {
  std::string_view middle = name.substr(1, name.size() - 2);
  for (size_t i = 0; i < middle.size();) {
    char c = middle[i];
    if (static_cast<unsigned char>(c) < 0x80 && (is_alnum(c) || extra.find(c) != std::string_view::npos)) {
      ++i;
      continue;
    }
    std::string rune = next_rune(middle, i);
    return std::string("invalid character '") + rune + "' in " + what + go_quote(name);
  }
  return std::nullopt;
}

std::optional<std::string> vendor_or_class_error(std::string_view name) {
  if (name.empty()) return "empty name";
  if (!is_letter(name[0])) return go_quote(name) + ", should start with letter";
  if (name.size() == 1) return std::nullopt;
  if (auto e = invalid_middle(name, "_-.", "name ")) return e;
  if (!is_alnum(name.back())) return go_quote(name) + ", should end with a letter or digit";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> vendor_name_error(std::string_view vendor) {
  if (auto e = vendor_or_class_error(vendor)) return "invalid vendor. " + *e;
  return std::nullopt;
}

std::optional<std::string> class_name_error(std::string_view class_name) {
  if (auto e = vendor_or_class_error(class_name)) return "invalid class. " + *e;
  return std::nullopt;
}

std::optional<std::string> device_name_error(std::string_view name) {
  if (name.empty()) return "invalid (empty) device name";
  if (!is_alnum(name[0])) return "invalid class " + go_quote(name) + ", should start with a letter or digit";
  if (name.size() == 1) return std::nullopt;
  if (auto e = invalid_middle(name, "_-.:", "device name ")) return e;
  if (!is_alnum(name.back())) return "invalid name " + go_quote(name) + ", should end with a letter or digit";
  return std::nullopt;
}

std::string qualified_name(std::string_view vendor, std::string_view class_name, std::string_view name) {
  std::string q;
  q.reserve(vendor.size() + class_name.size() + name.size() + 2);
  q.append(vendor).append("/").append(class_name).append("=").append(name);
  return q;
}

std::pair<std::string, std::string> parse_qualifier(std::string_view kind) {
  auto slash = kind.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == kind.size()) return {"", std::string(kind)};
  return {std::string(kind.substr(0, slash)), std::string(kind.substr(slash + 1))};
}

QualifiedName parse_device(std::string_view s) {
  QualifiedName unqualified{"", "", std::string(s)};
  if (s.empty() || s[0] == '/') return unqualified;
  auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == s.size()) return unqualified;
  auto [vendor, class_name] = parse_qualifier(s.substr(0, eq));
  if (vendor.empty()) return unqualified;
  return {std::move(vendor), std::move(class_name), std::string(s.substr(eq + 1))};
}

std::optional<std::string> qualified_name_error(std::string_view s) {
  QualifiedName q = parse_device(s);
  if (q.vendor.empty()) return "unqualified device " + go_quote(s) + ", missing vendor";
  for (auto e : {vendor_name_error(q.vendor), class_name_error(q.class_name), device_name_error(q.name)})
    if (e) return "invalid device " + go_quote(s) + ": " + *e;
  return std::nullopt;
}

QualifiedName parse_qualified_name(std::string_view s) {
  if (auto e = qualified_name_error(s)) throw Error(*e);
  return parse_device(s);
}

bool is_qualified_name(std::string_view s) { return !qualified_name_error(s); }

}  // namespace gpuhooks::cdi
