#include "common/cdi/spec/spec_annotations.h"

#include "common/cdi/spec/quote.h"

namespace gpuhooks::cdi {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool dns_subdomain(std::string_view s) {
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
    for (char c : label)
      if (!lower_alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$
bool qualified_name_part(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

void check_map(const std::map<std::string, std::string>& annotations, const std::string& field,
               std::vector<SpecProblem>& out) {
  size_t total = 0;
  for (const auto& [key, value] : annotations) {
    total += key.size() + value.size();
    std::string k;
    for (char c : key) k += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    std::string at = field + "." + key;
    auto slash = k.find('/');
    std::string_view name = k;
    if (slash != std::string::npos) {
      std::string_view prefix = std::string_view(k).substr(0, slash);
      name = std::string_view(k).substr(slash + 1);
      if (name.find('/') != std::string_view::npos) {
        out.push_back({at, "invalid annotation key " + go_quote(key) + ": at most one '/' allowed"});
        continue;
      }
      if (prefix.empty() || prefix.size() > 253 || !dns_subdomain(prefix))
        out.push_back({at, "invalid annotation key " + go_quote(key) +
                               ": prefix must be a DNS subdomain of at most 253 characters"});
    }
    if (name.empty() || name.size() > 63 || !qualified_name_part(name))
      out.push_back({at, "invalid annotation key " + go_quote(key) +
                             ": name must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"});
  }
  if (total > 262144)
    out.push_back({field, "annotations size " + std::to_string(total) + " is larger than the limit of 262144 bytes"});
}

}  // namespace

std::vector<SpecProblem> annotation_problems(const Spec& spec) {
  std::vector<SpecProblem> out;
  check_map(spec.annotations, "annotations", out);
  for (size_t i = 0; i < spec.devices.size(); ++i)
    check_map(spec.devices[i].annotations, "devices[" + std::to_string(i) + "].annotations", out);
  return out;
}

}  // namespace gpuhooks::cdi
