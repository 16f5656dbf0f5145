#include "common/cdi/spec/version.h"

#include <array>

#include "common/cdi/spec/quote.h"

namespace gpuhooks::cdi {
namespace {

constexpr std::array<std::string_view, 10> kKnown = {"0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0",
                                                     "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0"};

int rank(std::string_view v) {
  for (size_t i = 0; i < kKnown.size(); ++i)
    if (kKnown[i] == v) return static_cast<int>(i);
  return -1;
}

std::string_view strip_v(std::string_view v) { return !v.empty() && v[0] == 'v' ? v.substr(1) : v; }

// Visits the spec-level edits and every device's edits; stops when `pred` is true.
template <typename Pred>
bool any_edits(const Spec& spec, Pred pred) {
  if (pred(spec.edits)) return true;
  for (const auto& d : spec.devices)
    if (pred(d.edits)) return true;
  return false;
}

bool requires_v110(const Spec& spec) {
  return any_edits(spec, [](const ContainerEdits& e) {
    return !e.net_devices.empty() || (e.intel_rdt && (e.intel_rdt->schemata || e.intel_rdt->enable_monitoring));
  });
}

bool requires_v070(const Spec& spec) {
  return any_edits(spec, [](const ContainerEdits& e) { return e.intel_rdt || !e.additional_gids.empty(); });
}

bool requires_v060(const Spec& spec) {
  if (!spec.annotations.empty()) return true;
  for (const auto& d : spec.devices)
    if (!d.annotations.empty()) return true;
  auto slash = spec.kind.find('/');
  return slash != std::string::npos && spec.kind.find('.', slash + 1) != std::string::npos;
}

bool requires_v050(const Spec& spec) {
  for (const auto& d : spec.devices)
    if (!d.name.empty() && d.name[0] >= '0' && d.name[0] <= '9') return true;
  return any_edits(spec, [](const ContainerEdits& e) {
    for (const auto& n : e.device_nodes)
      if (!n.host_path.empty()) return true;
    return false;
  });
}

bool requires_v040(const Spec& spec) {
  return any_edits(spec, [](const ContainerEdits& e) {
    for (const auto& m : e.mounts)
      if (!m.type.empty()) return true;
    return false;
  });
}

}  // namespace

bool is_known_version(std::string_view version) { return rank(strip_v(version)) >= 0; }

int compare_versions(std::string_view a, std::string_view b) {
  int ra = rank(strip_v(a)), rb = rank(strip_v(b));
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

std::string minimum_required_version(const Spec& spec) {
  // 1.0.0 and 0.8.0 changed only the Go API: nothing in a spec requires them.
  if (requires_v110(spec)) return "1.1.0";
  if (requires_v070(spec)) return "0.7.0";
  if (requires_v060(spec)) return "0.6.0";
  if (requires_v050(spec)) return "0.5.0";
  if (requires_v040(spec)) return "0.4.0";
  return std::string(kEarliestVersion);
}

std::optional<std::string> version_error(const Spec& spec) {
  std::string_view sv = strip_v(spec.cdi_version);
  if (rank(sv) < 0) return "invalid version " + go_quote(spec.cdi_version);
  std::string min = minimum_required_version(spec);
  if (rank(min) > rank(sv)) return "the spec version must be at least v" + min;
  return std::nullopt;
}

}  // namespace gpuhooks::cdi
