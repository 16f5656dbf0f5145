// Block-style YAML for a Spec, by hand: generic emitters leave "yes", "0644" or "1.0" unquoted, which YAML 1.1
// readers (the reference among them) would turn into a bool or a number.
#include "common/cdi/spec/quote.h"
#include "common/cdi/spec/write.h"
#include "common/cdi/spec/yaml_scalar.h"

namespace gpuhooks::cdi {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Plain only when every YAML reader gives back this exact string: a conservative character set, not a YAML 1.1
// null/bool/number, and not a date (which some readers turn into a timestamp).
bool plain_safe(std::string_view s) {
  if (s.empty()) return false;
  if (!is_alnum(s[0]) && s[0] != '/' && s[0] != '.' && s[0] != '_') return false;
  for (char c : s)
    if (!is_alnum(c) && c != '/' && c != '.' && c != '_' && c != '-' && c != '=' && c != '+') return false;
  if (s.size() >= 5 && is_alnum(s[0]) && s[4] == '-' && s.find_first_not_of("0123456789") == 4) return false;
  return resolve_plain(s).type == PlainScalar::Type::kString;
}

void append_scalar(std::string& out, std::string_view s) {
  if (plain_safe(s)) {
    out.append(s);
    return;
  }
  // Go's %q is a YAML double-quoted scalar too: its escapes (\" \\ \a \b \f \n \r \t \v \xNN) mean the same there.
  out += go_quote(s);
}

class YamlWriter {
 public:
  std::string take() { return std::move(out_); }

  void string_field(int indent, std::string_view key, std::string_view value) {
    start(indent, key);
    out_ += ' ';
    append_scalar(out_, value);
    out_ += '\n';
  }
  void number_field(int indent, std::string_view key, long long value) {
    start(indent, key);
    out_ += ' ' + std::to_string(value) + '\n';
  }
  void raw_field(int indent, std::string_view key, std::string_view raw) {
    start(indent, key);
    out_ += ' ';
    out_.append(raw);
    out_ += '\n';
  }
  void string_list(int indent, std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return raw_field(indent, key, "[]");
    start(indent, key);
    out_ += '\n';
    for (const auto& i : items) {
      out_.append(indent, ' ');
      out_ += "- ";
      append_scalar(out_, i);
      out_ += '\n';
    }
  }
  void string_map(int indent, std::string_view key, const std::map<std::string, std::string>& m) {
    start(indent, key);
    out_ += '\n';
    for (const auto& [k, v] : m) {
      out_.append(indent + 2, ' ');
      append_scalar(out_, k);
      out_ += ": ";
      append_scalar(out_, v);
      out_ += '\n';
    }
  }
  // A sequence of mappings: body(indent + 2) writes each item's fields; the first line gets the "- ".
  template <typename T, typename Body>
  void object_list(int indent, std::string_view key, const std::vector<T>& items, Body body) {
    if (items.empty()) return raw_field(indent, key, "[]");
    start(indent, key);
    out_ += '\n';
    for (const auto& i : items) {
      size_t pos = out_.size();
      body(*this, indent + 2, i);
      if (out_.size() == pos) {
        out_.append(indent, ' ');
        out_ += "- {}\n";
      } else {
        out_.replace(pos + indent, 2, "- ");
      }
    }
  }
  // A nested mapping; "{}" when body writes nothing.
  template <typename Body>
  void object(int indent, std::string_view key, Body body) {
    start(indent, key);
    size_t pos = out_.size();
    out_ += '\n';
    body(*this, indent + 2);
    if (out_.size() == pos + 1) out_.replace(pos, 1, " {}\n");
  }

 private:
  void start(int indent, std::string_view key) {
    out_.append(indent, ' ');
    out_.append(key);
    out_ += ':';
  }
  std::string out_;
};

void write_node(YamlWriter& w, int in, const DeviceNode& n) {
  w.string_field(in, "path", n.path);
  if (!n.host_path.empty()) w.string_field(in, "hostPath", n.host_path);
  if (!n.type.empty()) w.string_field(in, "type", n.type);
  if (n.major) w.number_field(in, "major", *n.major);
  if (n.minor) w.number_field(in, "minor", *n.minor);
  if (n.file_mode) w.number_field(in, "fileMode", *n.file_mode);
  if (!n.permissions.empty()) w.string_field(in, "permissions", n.permissions);
  if (n.uid) w.number_field(in, "uid", *n.uid);
  if (n.gid) w.number_field(in, "gid", *n.gid);
}

void write_hook(YamlWriter& w, int in, const Hook& h) {
  w.string_field(in, "hookName", h.hook_name);
  w.string_field(in, "path", h.path);
  if (!h.args.empty()) w.string_list(in, "args", h.args);
  if (!h.env.empty()) w.string_list(in, "env", h.env);
  if (h.timeout) w.number_field(in, "timeout", *h.timeout);
}

void write_mount(YamlWriter& w, int in, const Mount& m) {
  w.string_field(in, "hostPath", m.host_path);
  w.string_field(in, "containerPath", m.container_path);
  if (!m.options.empty()) w.string_list(in, "options", m.options);
  if (!m.type.empty()) w.string_field(in, "type", m.type);
}

void write_edits(YamlWriter& w, int in, const ContainerEdits& e) {
  if (!e.env.empty()) w.string_list(in, "env", e.env);
  if (!e.device_nodes.empty()) w.object_list(in, "deviceNodes", e.device_nodes, write_node);
  if (!e.net_devices.empty())
    w.object_list(in, "netDevices", e.net_devices, [](YamlWriter& w, int in, const NetDevice& d) {
      w.string_field(in, "hostInterfaceName", d.host_interface_name);
      w.string_field(in, "name", d.name);
    });
  if (!e.hooks.empty()) w.object_list(in, "hooks", e.hooks, write_hook);
  if (!e.mounts.empty()) w.object_list(in, "mounts", e.mounts, write_mount);
  if (e.intel_rdt) {
    w.object(in, "intelRdt", [&](YamlWriter& w, int in) {
      const IntelRdt& r = *e.intel_rdt;
      if (!r.clos_id.empty()) w.string_field(in, "closID", r.clos_id);
      if (!r.l3_cache_schema.empty()) w.string_field(in, "l3CacheSchema", r.l3_cache_schema);
      if (!r.mem_bw_schema.empty()) w.string_field(in, "memBwSchema", r.mem_bw_schema);
      if (r.schemata) w.string_list(in, "schemata", *r.schemata);
      if (r.enable_monitoring) w.raw_field(in, "enableMonitoring", "true");
    });
  }
  if (!e.additional_gids.empty()) {
    std::vector<std::string> gids;
    for (auto g : e.additional_gids) gids.push_back(std::to_string(g));
    std::string flow = "[";
    for (size_t i = 0; i < gids.size(); ++i) flow += (i ? ", " : "") + gids[i];
    w.raw_field(in, "additionalGids", flow + "]");
  }
}

}  // namespace

std::string serialize_yaml(const Spec& spec) {
  YamlWriter w;
  w.string_field(0, "cdiVersion", spec.cdi_version);
  w.string_field(0, "kind", spec.kind);
  if (!spec.annotations.empty()) w.string_map(0, "annotations", spec.annotations);
  w.object_list(0, "devices", spec.devices, [](YamlWriter& w, int in, const Device& d) {
    w.string_field(in, "name", d.name);
    if (!d.annotations.empty()) w.string_map(in, "annotations", d.annotations);
    w.object(in, "containerEdits", [&](YamlWriter& w, int in) { write_edits(w, in, d.edits); });
  });
  if (!spec.edits.empty())
    w.object(0, "containerEdits", [&](YamlWriter& w, int in) { write_edits(w, in, spec.edits); });
  return "---\n" + w.take();
}

}  // namespace gpuhooks::cdi
