#pragma once
// CDI names (cdi.md §2.1-2.2, pkg/parser): vendor, class, device name grammars and qualified names
// `vendor/class=name`. ASCII only, no length limits. Validators return the reference's error text, or nullopt.
#include <optional>
#include <string>
#include <string_view>

namespace gpuhooks::cdi {

// "invalid vendor. ..." / "invalid class. ..." (a single letter is valid: HEAD; v1.1.0 panics on it).
std::optional<std::string> vendor_name_error(std::string_view vendor);
std::optional<std::string> class_name_error(std::string_view class_name);
// "invalid (empty) device name", "invalid class \"..\", should start..." (sic: the reference says "class").
std::optional<std::string> device_name_error(std::string_view name);

struct QualifiedName {
  std::string vendor;
  std::string class_name;
  std::string name;
  bool operator==(const QualifiedName&) const = default;
};

std::string qualified_name(std::string_view vendor, std::string_view class_name, std::string_view name);

// ParseQualifier: split at the first '/'; no '/' or an empty side gives {"", qualifier}.
std::pair<std::string, std::string> parse_qualifier(std::string_view kind);

// ParseDevice: never fails; anything structurally unqualified gives {"", "", s} (a host path such as /dev/null too).
QualifiedName parse_device(std::string_view s);

// ParseQualifiedName: throws Error("unqualified device \"s\", missing vendor") or
// Error("invalid device \"s\": <vendor/class/name error>").
QualifiedName parse_qualified_name(std::string_view s);
std::optional<std::string> qualified_name_error(std::string_view s);
bool is_qualified_name(std::string_view s);

}  // namespace gpuhooks::cdi
