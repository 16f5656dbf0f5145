#include "common/cdi/spec/validate.h"

#include <unordered_map>
#include <unordered_set>

#include "common/cdi/spec/names.h"
#include "common/cdi/spec/quote.h"
#include "common/cdi/spec/version.h"
#include "common/error.h"

namespace gpuhooks::cdi {

std::vector<SpecProblem> spec_problems(const Spec& spec) {
  std::vector<SpecProblem> out;
  if (auto e = version_error(spec)) out.push_back({"cdiVersion", *e});
  // kind splits at the first '/': "vendor1.comdevice" is vendor "" (invalid vendor. empty name).
  auto [vendor, class_name] = parse_qualifier(spec.kind);
  if (auto e = vendor_name_error(vendor)) out.push_back({"kind", *e});
  if (auto e = class_name_error(class_name)) out.push_back({"kind", *e});
  collect_edits_problems(spec.edits, "containerEdits", out);

  std::unordered_set<std::string_view> names;
  for (size_t i = 0; i < spec.devices.size(); ++i) {
    const Device& d = spec.devices[i];
    std::string at = "devices[" + std::to_string(i) + "]";
    if (auto e = device_name_error(d.name)) out.push_back({at + ".name", *e});
    // Spec-level edits do not make a device non-empty (cdi.md §1.2, issue #250).
    if (d.edits.empty()) out.push_back({at + ".containerEdits", "invalid device, empty device edits"});
    collect_edits_problems(d.edits, at + ".containerEdits", out);
    if (!names.insert(d.name).second)
      out.push_back({at + ".name", "invalid spec, multiple device " + go_quote(d.name)});
  }
  if (spec.devices.empty()) out.push_back({"devices", "invalid spec, no devices"});
  return out;
}

namespace {

bool valid_env(const std::string& v) {
  auto eq = v.find('=');
  return eq != std::string::npos && eq > 0;
}

bool valid_hook_name(const std::string& n) {
  return n == "prestart" || n == "createRuntime" || n == "createContainer" || n == "startContainer" ||
         n == "poststart" || n == "poststop";
}

// "" (rwm), "none" (HEAD: no access; v1.1.0 rejects it) or letters from "rwm", repeats allowed.
bool valid_permissions(const std::string& p) {
  if (p.empty() || p == "none") return true;
  return p.find_first_not_of("rwm") == std::string::npos;
}

bool valid_clos_id(const std::string& c) {
  if (c == "/") return true;  // the root CLOS
  return !(c.size() >= 4096 || c == "." || c == ".." || c.find_first_of("/\n") != std::string::npos);
}

std::string item(const std::string& field, const char* key, size_t i) {
  return field + "." + key + "[" + std::to_string(i) + "]";
}

}  // namespace

void collect_edits_problems(const ContainerEdits& e, const std::string& field, std::vector<SpecProblem>& out) {
  for (size_t i = 0; i < e.env.size(); ++i)
    if (!valid_env(e.env[i]))
      out.push_back(
          {item(field, "env", i), "invalid container edits: invalid environment variable " + go_quote(e.env[i])});
  for (size_t i = 0; i < e.device_nodes.size(); ++i) {
    const DeviceNode& n = e.device_nodes[i];
    std::string at = item(field, "deviceNodes", i);
    if (n.path.empty()) {
      out.push_back({at, "invalid (empty) device path"});
      continue;
    }
    if (!(n.type.empty() || n.type == "b" || n.type == "c" || n.type == "u" || n.type == "p"))
      out.push_back({at, "device " + go_quote(n.path) + ": invalid type " + go_quote(n.type)});
    if (!valid_permissions(n.permissions))
      out.push_back({at, "device " + go_quote(n.path) + ": invalid permissions " + go_quote(n.permissions)});
  }
  for (size_t i = 0; i < e.hooks.size(); ++i) {
    const Hook& h = e.hooks[i];
    std::string at = item(field, "hooks", i);
    if (!valid_hook_name(h.hook_name)) {
      out.push_back({at, "invalid hook name " + go_quote(h.hook_name)});
      continue;
    }
    if (h.path.empty()) out.push_back({at, "invalid hook " + go_quote(h.hook_name) + " with empty path"});
    for (const auto& v : h.env)
      if (!valid_env(v))
        out.push_back({at, "invalid hook " + go_quote(h.hook_name) + ": invalid environment variable " + go_quote(v)});
  }
  for (size_t i = 0; i < e.mounts.size(); ++i) {
    std::string at = item(field, "mounts", i);
    if (e.mounts[i].host_path.empty()) out.push_back({at, "invalid mount, empty host path"});
    else if (e.mounts[i].container_path.empty()) out.push_back({at, "invalid mount, empty container path"});
  }
  if (e.intel_rdt && !valid_clos_id(e.intel_rdt->clos_id)) out.push_back({field + ".intelRdt", "invalid ClosID"});
  // Duplicates are checked within this one edits object only (ValidateNetDevices).
  std::unordered_map<std::string_view, std::string_view> host_seen, name_seen;
  for (size_t i = 0; i < e.net_devices.size(); ++i) {
    const NetDevice& d = e.net_devices[i];
    std::string at = item(field, "netDevices", i);
    if (d.host_interface_name.empty()) {
      out.push_back({at, "invalid linux net device, empty HostInterfaceName"});
      continue;
    }
    if (d.name.empty()) {
      out.push_back({at, "invalid linux net device, empty Name"});
      continue;
    }
    if (auto it = host_seen.find(d.host_interface_name); it != host_seen.end()) {
      out.push_back({at, "invalid linux net device, duplicate HostInterfaceName " + go_quote(d.host_interface_name) +
                             " with names " + go_quote(d.name) + " and " + go_quote(it->second)});
      continue;
    }
    host_seen[d.host_interface_name] = d.name;
    if (auto it = name_seen.find(d.name); it != name_seen.end()) {
      out.push_back({at, "invalid linux net device, duplicate Name " + go_quote(d.name) + " with HostInterfaceName " +
                             go_quote(d.host_interface_name) + " and " + go_quote(it->second)});
      continue;
    }
    name_seen[d.name] = d.host_interface_name;
  }
}

std::string describe_problem(std::string_view source, const SpecProblem& p) {
  std::string s = "invalid CDI Spec";
  if (!source.empty()) s += " " + go_quote(source);
  s += ": ";
  if (!p.field.empty()) s += p.field + ": ";
  return s + p.message;
}

void validate_spec(const Spec& spec, std::string_view source) {
  auto problems = spec_problems(spec);
  if (!problems.empty()) throw Error(describe_problem(source, problems.front()));
}

}  // namespace gpuhooks::cdi
