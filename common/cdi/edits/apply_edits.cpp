#include "common/cdi/edits/apply_edits.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "common/cdi/edits/host_device.h"
#include "common/cdi/registry/clean_path.h"
#include "common/error.h"

namespace gpuhooks::cdi {
namespace {

using json = nlohmann::json;
using Parts = std::vector<const ContainerEdits*>;

json& child(json& parent, const char* key, const char* where, bool array) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return parent[key] = array ? json::array() : json::object();
  if (array ? !it->is_array() : !it->is_object())
    throw Error(std::string("OCI spec: ") + where + (array ? " is not an array" : " is not an object"));
  return *it;
}
json& object_at(json& parent, const char* key, const char* where) { return child(parent, key, where, false); }
json& array_at(json& parent, const char* key, const char* where) { return child(parent, key, where, true); }

// Reads a number at oci[a][b][c] without creating anything; 0 when absent.
int64_t process_user_id(const json& oci, const char* field) {
  auto p = oci.find("process");
  if (p == oci.end() || !p->is_object()) return 0;
  auto u = p->find("user");
  if (u == p->end() || !u->is_object()) return 0;
  auto v = u->find(field);
  return v != u->end() && v->is_number_integer() ? v->get<int64_t>() : 0;
}

template <typename F>
bool any_part(const Parts& parts, F has) {
  return std::any_of(parts.begin(), parts.end(), [&](const ContainerEdits* e) { return has(*e); });
}

std::string_view env_key(std::string_view v) { return v.substr(0, v.find('=')); }

void apply_env(json& oci, const Parts& parts) {
  if (!any_part(parts, [](const ContainerEdits& e) { return !e.env.empty(); })) return;
  json& env = array_at(object_at(oci, "process", "process"), "env", "process.env");
  // HEAD: key -> index of the last existing entry; a CDI entry with that key overwrites it in place (v1.1.0
  // appended instead, so the image's value shadowed the CDI one for getenv).
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < env.size(); ++i) {
    if (!env[i].is_string()) throw Error("OCI spec: process.env[" + std::to_string(i) + "] is not a string");
    index[std::string(env_key(env[i].get_ref<const std::string&>()))] = i;
  }
  for (const auto* e : parts) {
    for (const auto& v : e->env) {
      auto [it, inserted] = index.try_emplace(std::string(env_key(v)), env.size());
      if (inserted) env.push_back(v);
      else env[it->second] = v;
    }
  }
}

void replace_device(json& devices, json entry) {
  const std::string& path = entry["path"].get_ref<const std::string&>();
  auto same_path = [&](const json& d) { return d.is_object() && d.value("path", "") == path; };
  // Remove the first entry with this path; replace a second one in place if any, else append: the reference's
  // net effect is "replaced, or moved to the end".
  auto first = std::find_if(devices.begin(), devices.end(), same_path);
  if (first != devices.end()) devices.erase(first);
  auto second = std::find_if(devices.begin(), devices.end(), same_path);
  if (second != devices.end()) *second = std::move(entry);
  else devices.push_back(std::move(entry));
}

void apply_device_nodes(json& oci, const Parts& parts) {
  if (!any_part(parts, [](const ContainerEdits& e) { return !e.device_nodes.empty(); })) return;
  const int64_t process_uid = process_user_id(oci, "uid");
  const int64_t process_gid = process_user_id(oci, "gid");
  for (const auto* e : parts) {
    for (const auto& spec_node : e->device_nodes) {
      DeviceNode n = fill_from_host(spec_node);
      json dev = {{"path", n.path}, {"type", n.type}, {"major", n.major.value_or(0)}, {"minor", n.minor.value_or(0)}};
      if (n.file_mode) dev["fileMode"] = *n.file_mode;
      // The container's user owns the node unless the spec says otherwise; root (0) is never copied.
      if (n.uid) dev["uid"] = *n.uid;
      else if (process_uid > 0) dev["uid"] = process_uid;
      if (n.gid) dev["gid"] = *n.gid;
      else if (process_gid > 0) dev["gid"] = process_gid;
      json& linux = object_at(oci, "linux", "linux");
      replace_device(array_at(linux, "devices", "linux.devices"), std::move(dev));
      if (n.type != "b" && n.type != "c") continue;  // no cgroup rule for "u" or "p"
      json rule = {{"allow", true}, {"type", n.type}, {"major", n.major.value_or(0)}, {"minor", n.minor.value_or(0)}};
      // "" -> rwm; "none" (HEAD) -> no access, the field omitted as runtime-spec's omitempty does.
      std::string access = n.permissions.empty() ? "rwm" : n.permissions == "none" ? "" : n.permissions;
      if (!access.empty()) rule["access"] = access;
      array_at(object_at(linux, "resources", "linux.resources"), "devices", "linux.resources.devices")
          .push_back(std::move(rule));
    }
  }
}

void apply_net_devices(json& oci, const Parts& parts) {
  for (const auto* e : parts) {
    for (const auto& d : e->net_devices) {
      json& net = object_at(object_at(oci, "linux", "linux"), "netDevices", "linux.netDevices");
      net[d.host_interface_name] = json{{"name", d.name}};  // later entries overwrite
    }
  }
}

bool has_user_namespace(const json& oci) {
  auto l = oci.find("linux");
  if (l == oci.end() || !l->is_object()) return false;
  auto ns = l->find("namespaces");
  if (ns == l->end() || !ns->is_array()) return false;
  return std::any_of(ns->begin(), ns->end(),
                     [](const json& n) { return n.is_object() && n.value("type", "") == "user"; });
}

// HEAD (cdi PR #288): bind mounts under a user namespace get idmap/ridmap, unless they already have one.
void add_idmap_option(const Mount& m, json& options) {
  for (const auto& o : m.options)
    if (o == "idmap" || o == "ridmap") return;
  std::string opt = m.type == "bind" ? "idmap" : "";
  for (const auto& o : m.options) {
    if (o == "bind") opt = "idmap";
    else if (o == "rbind") opt = "ridmap";
  }
  if (!opt.empty()) options.push_back(opt);
}

size_t mount_depth(const json& m) {
  std::string dest = m.is_object() ? m.value("destination", "") : "";
  std::string clean = clean_path(dest);
  return static_cast<size_t>(std::count(clean.begin(), clean.end(), '/'));
}

void apply_mounts(json& oci, const Parts& parts) {
  if (!any_part(parts, [](const ContainerEdits& e) { return !e.mounts.empty(); })) return;
  const bool userns = has_user_namespace(oci);
  json& mounts = array_at(oci, "mounts", "mounts");
  for (const auto* e : parts) {
    for (const auto& m : e->mounts) {
      auto same = std::find_if(mounts.begin(), mounts.end(), [&](const json& x) {
        return x.is_object() && x.value("destination", "") == m.container_path;
      });
      if (same != mounts.end()) mounts.erase(same);
      json entry = {{"destination", m.container_path}};
      if (!m.type.empty()) entry["type"] = m.type;
      if (!m.host_path.empty()) entry["source"] = m.host_path;
      json options = m.options;
      if (userns) add_idmap_option(m, options);
      if (!options.empty()) entry["options"] = std::move(options);
      mounts.push_back(std::move(entry));
    }
  }
  // Stable sort of all mounts, pre-existing ones included, by the depth of the cleaned destination (moby/CRI-O).
  std::vector<std::pair<size_t, size_t>> order;
  order.reserve(mounts.size());
  for (size_t i = 0; i < mounts.size(); ++i) order.emplace_back(mount_depth(mounts[i]), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json sorted = json::array();
  for (const auto& [depth, i] : order) sorted.push_back(std::move(mounts[i]));
  mounts = std::move(sorted);
}

void apply_hooks(json& oci, const Parts& parts) {
  for (const auto* e : parts) {
    for (const auto& h : e->hooks) {
      json entry = {{"path", h.path}};
      if (!h.args.empty()) entry["args"] = h.args;
      if (!h.env.empty()) entry["env"] = h.env;
      if (h.timeout) entry["timeout"] = *h.timeout;
      // Validation admits only the six OCI stage names, so the name is the stage key as is.
      json& hooks = object_at(oci, "hooks", "hooks");
      std::string where = "hooks." + h.hook_name;
      array_at(hooks, h.hook_name.c_str(), where.c_str()).push_back(std::move(entry));
    }
  }
}

void apply_intel_rdt(json& oci, const Parts& parts) {
  const IntelRdt* rdt = nullptr;
  for (const auto* e : parts)
    if (e->intel_rdt) rdt = &*e->intel_rdt;  // the last one wins
  if (!rdt) return;
  json r = json::object();  // replaces linux.intelRdt whole: fields the CDI spec leaves out are cleared
  if (!rdt->clos_id.empty()) r["closID"] = rdt->clos_id;
  if (!rdt->l3_cache_schema.empty()) r["l3CacheSchema"] = rdt->l3_cache_schema;
  if (!rdt->mem_bw_schema.empty()) r["memBwSchema"] = rdt->mem_bw_schema;
  if (rdt->schemata && !rdt->schemata->empty()) r["schemata"] = *rdt->schemata;
  if (rdt->enable_monitoring) r["enableMonitoring"] = true;
  object_at(oci, "linux", "linux")["intelRdt"] = std::move(r);
}

void apply_additional_gids(json& oci, const Parts& parts) {
  for (const auto* e : parts) {
    for (uint32_t gid : e->additional_gids) {
      if (gid == 0) continue;
      // `process` is created only when a gid is actually added: [0] alone leaves the spec untouched.
      auto p = oci.find("process");
      if (p != oci.end() && p->is_object()) {
        auto u = p->find("user");
        if (u != p->end() && u->is_object()) {
          auto g = u->find("additionalGids");
          if (g != u->end() && g->is_array() && std::find(g->begin(), g->end(), json(gid)) != g->end()) continue;
        }
      }
      json& user = object_at(object_at(oci, "process", "process"), "user", "process.user");
      array_at(user, "additionalGids", "process.user.additionalGids").push_back(gid);
    }
  }
}

}  // namespace

void apply_edits(json& oci, const Parts& parts) {
  if (!oci.is_object()) throw Error("OCI spec: not a JSON object");
  apply_env(oci, parts);
  apply_device_nodes(oci, parts);
  apply_net_devices(oci, parts);
  apply_mounts(oci, parts);
  apply_hooks(oci, parts);
  apply_intel_rdt(oci, parts);
  apply_additional_gids(oci, parts);
}

}  // namespace gpuhooks::cdi
