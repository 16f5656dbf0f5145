#include "common/plan/plan.h"

#include <algorithm>

#include "common/cdi/registry/clean_path.h"

namespace gpuhooks::plan {

void order_mounts(Plan& plan) {
  auto depth = [](const Mount& m) {
    const std::string clean = cdi::clean_path(m.path);
    return std::count(clean.begin(), clean.end(), '/');
  };
  std::stable_sort(plan.mounts.begin(), plan.mounts.end(),
                   [&](const Mount& a, const Mount& b) { return depth(a) < depth(b); });
}

nlohmann::json to_json(const Plan& p) {
  using json = nlohmann::json;
  json out = {{"device_nodes", json::array()},
              {"mounts", json::array()},
              {"links", json::array()},
              {"ldcache_folders", p.ldcache_folders},
              {"cgroup_rules", json::array()},
              {"hooks", json::array()},
              {"env", p.env}};
  for (const auto& n : p.device_nodes)
    out["device_nodes"].push_back({{"path", n.path},
                                   {"host_path", n.host_path},
                                   {"type", std::string(1, n.type)},
                                   {"major", n.major},
                                   {"minor", n.minor}});
  for (const auto& m : p.mounts) {
    json mount = {{"host_path", m.host_path}, {"path", m.path}, {"read_only", m.read_only}, {"no_exec", m.no_exec}};
    if (m.devices) mount["devices"] = true;
    out["mounts"].push_back(std::move(mount));
  }
  for (const auto& l : p.links) out["links"].push_back({{"path", l.path}, {"target", l.target}});
  for (const auto& r : p.cgroup_rules)
    out["cgroup_rules"].push_back(
        {{"type", std::string(1, r.type)}, {"major", r.major}, {"minor", r.minor}, {"access", r.access}});
  for (const auto& h : p.hooks) {
    json hook = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
    if (h.timeout) hook["timeout"] = *h.timeout;
    out["hooks"].push_back(std::move(hook));
  }
  if (!p.ldconfig_path.empty()) out["ldconfig_path"] = p.ldconfig_path;
  out["own_hooks"] = p.own_hooks;
  return out;
}

}  // namespace gpuhooks::plan
