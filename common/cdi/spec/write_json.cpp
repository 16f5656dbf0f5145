#include <nlohmann/json.hpp>

#include "common/cdi/spec/write.h"

namespace gpuhooks::cdi {

namespace {

using ordered = nlohmann::ordered_json;

ordered edits_json(const ContainerEdits& e) {
  ordered j = ordered::object();
  if (!e.env.empty()) j["env"] = e.env;
  for (const auto& n : e.device_nodes) {
    ordered d = {{"path", n.path}};
    if (!n.host_path.empty()) d["hostPath"] = n.host_path;
    if (!n.type.empty()) d["type"] = n.type;
    if (n.major) d["major"] = *n.major;
    if (n.minor) d["minor"] = *n.minor;
    if (n.file_mode) d["fileMode"] = *n.file_mode;
    if (!n.permissions.empty()) d["permissions"] = n.permissions;
    if (n.uid) d["uid"] = *n.uid;
    if (n.gid) d["gid"] = *n.gid;
    j["deviceNodes"].push_back(std::move(d));
  }
  for (const auto& n : e.net_devices)
    j["netDevices"].push_back(ordered{{"hostInterfaceName", n.host_interface_name}, {"name", n.name}});
  for (const auto& h : e.hooks) {
    ordered d = {{"hookName", h.hook_name}, {"path", h.path}};
    if (!h.args.empty()) d["args"] = h.args;
    if (!h.env.empty()) d["env"] = h.env;
    if (h.timeout) d["timeout"] = *h.timeout;
    j["hooks"].push_back(std::move(d));
  }
  for (const auto& m : e.mounts) {
    ordered d = {{"hostPath", m.host_path}, {"containerPath", m.container_path}};
    if (!m.options.empty()) d["options"] = m.options;
    if (!m.type.empty()) d["type"] = m.type;
    j["mounts"].push_back(std::move(d));
  }
  if (e.intel_rdt) {
    const IntelRdt& r = *e.intel_rdt;
    ordered d = ordered::object();
    if (!r.clos_id.empty()) d["closID"] = r.clos_id;
    if (!r.l3_cache_schema.empty()) d["l3CacheSchema"] = r.l3_cache_schema;
    if (!r.mem_bw_schema.empty()) d["memBwSchema"] = r.mem_bw_schema;
    if (r.schemata) d["schemata"] = *r.schemata;
    if (r.enable_monitoring) d["enableMonitoring"] = true;
    j["intelRdt"] = std::move(d);
  }
  if (!e.additional_gids.empty()) j["additionalGids"] = e.additional_gids;
  return j;
}

}  // namespace

std::string serialize(const Spec& spec, Format format) {
  return format == Format::kYaml ? serialize_yaml(spec) : serialize_json(spec);
}

std::string serialize_json(const Spec& spec) {
  ordered j = {{"cdiVersion", spec.cdi_version}, {"kind", spec.kind}};
  if (!spec.annotations.empty()) j["annotations"] = spec.annotations;
  j["devices"] = ordered::array();
  for (const auto& d : spec.devices) {
    ordered dj = {{"name", d.name}};
    if (!d.annotations.empty()) dj["annotations"] = d.annotations;
    dj["containerEdits"] = edits_json(d.edits);
    j["devices"].push_back(std::move(dj));
  }
  if (!spec.edits.empty()) j["containerEdits"] = edits_json(spec.edits);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Format format_for_path(std::string_view path) {
  return path.size() >= 5 && path.substr(path.size() - 5) == ".json" ? Format::kJson : Format::kYaml;
}

}  // namespace gpuhooks::cdi
