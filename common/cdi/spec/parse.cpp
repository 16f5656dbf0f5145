// The decoder: DocNode (document.h) -> Spec, with the reference's key matching, scalar coercion and integer ranges.
// Field paths for errors are a chain of stack frames, turned into text only when something fails.
#include "common/cdi/spec/parse.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <span>

#include "common/cdi/spec/document.h"
#include "common/cdi/spec/quote.h"
#include "common/cdi/spec/yaml_scalar.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::cdi {
namespace {

using Kind = DocNode::Kind;

struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // field name, or empty for an index
  size_t index = 0;

  std::string str() const {
    std::string s = parent ? parent->str() : "";
    if (!key.empty()) {
      if (!s.empty()) s += '.';
      s.append(key);
    } else if (parent) {
      s += "[" + std::to_string(index) + "]";
    }
    return s;
  }
};

struct DecodeError {
  std::string field;
  std::string message;
};

[[noreturn]] void fail(const Path& path, std::string message) { throw DecodeError{path.str(), std::move(message)}; }

std::string describe(const DocNode& n) {
  switch (n.kind) {
    case Kind::kNull: return "null";
    case Kind::kSequence: return "a sequence";
    case Kind::kMapping: return "a mapping";
    case Kind::kScalar: break;
  }
  if (!n.plain) return "string " + go_quote(n.text);
  switch (resolve_plain(n.text).type) {
    case PlainScalar::Type::kBool: return "bool " + n.text;
    case PlainScalar::Type::kInt:
    case PlainScalar::Type::kUint:
    case PlainScalar::Type::kFloat: return "number " + n.text;
    case PlainScalar::Type::kNull: return "null";
    case PlainScalar::Type::kString: break;
  }
  return "string " + go_quote(n.text);
}

[[noreturn]] void fail_range(const Path& path, const std::string& text, const char* type) {
  fail(path, "value " + text + " is out of range for " + type);
}

// A scalar as a string field receives it (sigs.k8s.io/yaml's coercion); null leaves "".
std::string take_string(DocNode& n, const Path& path) {
  if (n.kind == Kind::kNull) return {};
  if (n.kind != Kind::kScalar) fail(path, "expected a string, got " + describe(n));
  if (!n.plain) return std::move(n.text);
  return plain_as_string(n.text);
}

// An integer field: YAML ints (octal 0644 included) and integral floats below 1e21 (json.Marshal writes those without
// a fraction, so encoding/json takes them), within [lo, hi].
std::optional<int64_t> take_integer(DocNode& n, const Path& path, const char* type, int64_t lo, int64_t hi) {
  if (n.kind == Kind::kNull) return std::nullopt;
  if (n.kind != Kind::kScalar || !n.plain)
    fail(path, std::string("expected an integer (") + type + "), got " + describe(n));
  PlainScalar r = resolve_plain(n.text);
  switch (r.type) {
    case PlainScalar::Type::kNull: return std::nullopt;
    case PlainScalar::Type::kInt:
      if (r.int_value < lo || r.int_value > hi) fail_range(path, n.text, type);
      return r.int_value;
    case PlainScalar::Type::kUint: fail_range(path, n.text, type);
    case PlainScalar::Type::kFloat:
      if (std::isfinite(r.float_value) && std::trunc(r.float_value) == r.float_value &&
          std::fabs(r.float_value) < 1e21) {
        if (r.float_value < static_cast<double>(lo) || r.float_value > static_cast<double>(hi))
          fail_range(path, n.text, type);
        return static_cast<int64_t>(r.float_value);
      }
      break;
    default: break;
  }
  fail(path, std::string("expected an integer (") + type + "), got " + describe(n));
}

std::optional<uint32_t> take_uint32(DocNode& n, const Path& path) {
  auto v = take_integer(n, path, "uint32", 0, std::numeric_limits<uint32_t>::max());
  return v ? std::optional<uint32_t>(static_cast<uint32_t>(*v)) : std::nullopt;
}

std::optional<int64_t> take_int64(DocNode& n, const Path& path) {
  return take_integer(n, path, "int64", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
}

bool take_bool(DocNode& n, const Path& path) {
  if (n.kind == Kind::kNull) return false;
  if (n.kind == Kind::kScalar && n.plain) {
    PlainScalar r = resolve_plain(n.text);
    if (r.type == PlainScalar::Type::kBool) return r.boolean;
    if (r.type == PlainScalar::Type::kNull) return false;
  }
  fail(path, "expected a boolean, got " + describe(n));
}

// Calls each(item, item_path) for the items of a sequence field; null is an empty sequence.
template <typename F>
void for_items(DocNode& n, const Path& path, F&& each) {
  if (n.kind == Kind::kNull) return;
  if (n.kind != Kind::kSequence) fail(path, "expected a sequence, got " + describe(n));
  for (size_t i = 0; i < n.items.size(); ++i) {
    Path item{&path, {}, i};
    each(n.items[i], item);
  }
}

std::vector<std::string> take_strings(DocNode& n, const Path& path) {
  std::vector<std::string> out;
  if (n.kind == Kind::kSequence) out.reserve(n.items.size());
  for_items(n, path, [&](DocNode& item, const Path& p) { out.push_back(take_string(item, p)); });
  return out;
}

void expect_mapping(const DocNode& n, const Path& path) {
  if (n.kind != Kind::kMapping) fail(path, "expected a mapping, got " + describe(n));
}

// Mapping keys are strings in the reference's JSON step: `1: x` is "1", `yes: x` is "true".
std::string key_text(DocNode& key, const Path& path) {
  if (key.kind == Kind::kMapping || key.kind == Kind::kSequence) fail(path, "unsupported key, got " + describe(key));
  if (key.kind == Kind::kNull) return "null";
  return key.plain ? plain_as_string(key.text) : key.text;
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

// One field of a struct mapping: its key, and how its value is read into the struct. Each decoder below lists its
// fields with their readers side by side, so the name a value is read under is the one written next to it.
template <typename T>
struct Field {
  std::string_view name;
  void (*read)(T& out, DocNode& value, const Path& path);
};

// Reads each key of a struct mapping into `out` through its field; null means "all fields absent".
template <typename T>
void read_fields(DocNode& n, const Path& path, std::span<const Field<T>> fields, T& out) {
  if (n.kind == Kind::kNull) return;
  expect_mapping(n, path);
  std::vector<std::string_view> seen_as(fields.size());
  std::vector<std::string> keys;  // keeps the seen spellings alive for the duplicate message
  keys.reserve(n.items.size() / 2);
  for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
    keys.push_back(key_text(n.items[i], path));
    const std::string& key = keys.back();
    // Exact match first, then ASCII case-insensitive (encoding/json's rule, minus its Unicode folding).
    size_t idx = fields.size();
    for (size_t f = 0; f < fields.size() && idx == fields.size(); ++f)
      if (fields[f].name == key) idx = f;
    for (size_t f = 0; f < fields.size() && idx == fields.size(); ++f)
      if (ascii_iequal(fields[f].name, key)) idx = f;
    if (idx == fields.size()) fail(path, "unknown field " + go_quote(key));
    if (!seen_as[idx].empty()) {
      std::string msg = "key " + go_quote(key) + " already set in map";
      if (seen_as[idx] != key) msg += " (as " + go_quote(seen_as[idx]) + ")";
      fail(path, msg);
    }
    seen_as[idx] = key;
    Path child{&path, fields[idx].name};
    fields[idx].read(out, n.items[i + 1], child);
  }
}

// A sequence field of structs: each item read by `take`, appended to `out`.
template <typename T>
void append_items(std::vector<T>& out, DocNode& n, const Path& path, T (*take)(DocNode&, const Path&)) {
  if (n.kind == Kind::kSequence) out.reserve(out.size() + n.items.size());
  for_items(n, path, [&](DocNode& item, const Path& p) { out.push_back(take(item, p)); });
}

std::map<std::string, std::string> take_string_map(DocNode& n, const Path& path) {
  std::map<std::string, std::string> out;
  if (n.kind == Kind::kNull) return out;
  expect_mapping(n, path);
  for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
    std::string key = key_text(n.items[i], path);
    if (out.count(key)) fail(path, "key " + go_quote(key) + " already set in map");
    Path value_path{&path, key};
    std::string value = take_string(n.items[i + 1], value_path);
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

DeviceNode take_device_node(DocNode& n, const Path& path) {
  static constexpr Field<DeviceNode> kFields[] = {
      {"path", [](DeviceNode& d, DocNode& v, const Path& p) { d.path = take_string(v, p); }},
      {"hostPath", [](DeviceNode& d, DocNode& v, const Path& p) { d.host_path = take_string(v, p); }},
      {"type", [](DeviceNode& d, DocNode& v, const Path& p) { d.type = take_string(v, p); }},
      {"major", [](DeviceNode& d, DocNode& v, const Path& p) { d.major = take_int64(v, p); }},
      {"minor", [](DeviceNode& d, DocNode& v, const Path& p) { d.minor = take_int64(v, p); }},
      {"fileMode", [](DeviceNode& d, DocNode& v, const Path& p) { d.file_mode = take_uint32(v, p); }},
      {"permissions", [](DeviceNode& d, DocNode& v, const Path& p) { d.permissions = take_string(v, p); }},
      {"uid", [](DeviceNode& d, DocNode& v, const Path& p) { d.uid = take_uint32(v, p); }},
      {"gid", [](DeviceNode& d, DocNode& v, const Path& p) { d.gid = take_uint32(v, p); }},
  };
  expect_mapping(n, path);
  DeviceNode d;
  read_fields<DeviceNode>(n, path, kFields, d);
  return d;
}

Mount take_mount(DocNode& n, const Path& path) {
  static constexpr Field<Mount> kFields[] = {
      {"hostPath", [](Mount& m, DocNode& v, const Path& p) { m.host_path = take_string(v, p); }},
      {"containerPath", [](Mount& m, DocNode& v, const Path& p) { m.container_path = take_string(v, p); }},
      {"options", [](Mount& m, DocNode& v, const Path& p) { m.options = take_strings(v, p); }},
      {"type", [](Mount& m, DocNode& v, const Path& p) { m.type = take_string(v, p); }},
  };
  expect_mapping(n, path);
  Mount m;
  read_fields<Mount>(n, path, kFields, m);
  return m;
}

Hook take_hook(DocNode& n, const Path& path) {
  static constexpr Field<Hook> kFields[] = {
      {"hookName", [](Hook& h, DocNode& v, const Path& p) { h.hook_name = take_string(v, p); }},
      {"path", [](Hook& h, DocNode& v, const Path& p) { h.path = take_string(v, p); }},
      {"args", [](Hook& h, DocNode& v, const Path& p) { h.args = take_strings(v, p); }},
      {"env", [](Hook& h, DocNode& v, const Path& p) { h.env = take_strings(v, p); }},
      {"timeout",
       [](Hook& h, DocNode& v, const Path& p) {
         if (auto t = take_integer(v, p, "int", std::numeric_limits<int>::min(), std::numeric_limits<int>::max()))
           h.timeout = static_cast<int>(*t);
       }},
  };
  expect_mapping(n, path);
  Hook h;
  read_fields<Hook>(n, path, kFields, h);
  return h;
}

IntelRdt take_intel_rdt(DocNode& n, const Path& path) {
  // enableCMT/enableMBM (0.7.0-1.0.x) were removed in 1.1.0 and are unknown fields in the reference too.
  static constexpr Field<IntelRdt> kFields[] = {
      {"closID", [](IntelRdt& r, DocNode& v, const Path& p) { r.clos_id = take_string(v, p); }},
      {"l3CacheSchema", [](IntelRdt& r, DocNode& v, const Path& p) { r.l3_cache_schema = take_string(v, p); }},
      {"memBwSchema", [](IntelRdt& r, DocNode& v, const Path& p) { r.mem_bw_schema = take_string(v, p); }},
      {"schemata",
       [](IntelRdt& r, DocNode& v, const Path& p) {
         // `schemata: []` is kept apart from absent/null: it alone requires spec 1.1.0 (§1.3).
         if (v.kind != Kind::kNull) r.schemata = take_strings(v, p);
       }},
      {"enableMonitoring", [](IntelRdt& r, DocNode& v, const Path& p) { r.enable_monitoring = take_bool(v, p); }},
  };
  IntelRdt r;
  read_fields<IntelRdt>(n, path, kFields, r);
  return r;
}

NetDevice take_net_device(DocNode& n, const Path& path) {
  static constexpr Field<NetDevice> kFields[] = {
      {"hostInterfaceName", [](NetDevice& d, DocNode& v, const Path& p) { d.host_interface_name = take_string(v, p); }},
      {"name", [](NetDevice& d, DocNode& v, const Path& p) { d.name = take_string(v, p); }},
  };
  expect_mapping(n, path);
  NetDevice d;
  read_fields<NetDevice>(n, path, kFields, d);
  return d;
}

uint32_t take_gid(DocNode& n, const Path& path) { return take_uint32(n, path).value_or(0); }

ContainerEdits take_edits(DocNode& n, const Path& path) {
  static constexpr Field<ContainerEdits> kFields[] = {
      {"env", [](ContainerEdits& e, DocNode& v, const Path& p) { e.env = take_strings(v, p); }},
      {"deviceNodes",
       [](ContainerEdits& e, DocNode& v, const Path& p) { append_items(e.device_nodes, v, p, take_device_node); }},
      {"netDevices",
       [](ContainerEdits& e, DocNode& v, const Path& p) { append_items(e.net_devices, v, p, take_net_device); }},
      {"hooks", [](ContainerEdits& e, DocNode& v, const Path& p) { append_items(e.hooks, v, p, take_hook); }},
      {"mounts", [](ContainerEdits& e, DocNode& v, const Path& p) { append_items(e.mounts, v, p, take_mount); }},
      {"intelRdt",
       [](ContainerEdits& e, DocNode& v, const Path& p) {
         if (v.kind != Kind::kNull) e.intel_rdt = take_intel_rdt(v, p);
       }},
      {"additionalGids",
       [](ContainerEdits& e, DocNode& v, const Path& p) { append_items(e.additional_gids, v, p, take_gid); }},
  };
  ContainerEdits e;
  read_fields<ContainerEdits>(n, path, kFields, e);
  return e;
}

Device take_device(DocNode& n, const Path& path) {
  static constexpr Field<Device> kFields[] = {
      {"name", [](Device& d, DocNode& v, const Path& p) { d.name = take_string(v, p); }},
      {"annotations", [](Device& d, DocNode& v, const Path& p) { d.annotations = take_string_map(v, p); }},
      {"containerEdits", [](Device& d, DocNode& v, const Path& p) { d.edits = take_edits(v, p); }},
  };
  Device d;
  read_fields<Device>(n, path, kFields, d);
  return d;
}

Spec take_spec(DocNode& n) {
  static constexpr Field<Spec> kFields[] = {
      {"cdiVersion", [](Spec& s, DocNode& v, const Path& p) { s.cdi_version = take_string(v, p); }},
      {"kind", [](Spec& s, DocNode& v, const Path& p) { s.kind = take_string(v, p); }},
      {"annotations", [](Spec& s, DocNode& v, const Path& p) { s.annotations = take_string_map(v, p); }},
      {"devices", [](Spec& s, DocNode& v, const Path& p) { append_items(s.devices, v, p, take_device); }},
      {"containerEdits", [](Spec& s, DocNode& v, const Path& p) { s.edits = take_edits(v, p); }},
  };
  Path root;
  expect_mapping(n, root);
  Spec s;
  read_fields<Spec>(n, root, kFields, s);
  return s;
}

std::string quoted_source(std::string_view source) { return source.empty() ? "" : " " + go_quote(source); }

}  // namespace

Spec parse_spec(std::string_view data, std::string_view source) {
  const std::string prefix = "failed to parse CDI Spec" + quoted_source(source);
  DocNode doc;
  try {
    doc = load_document(data);
  } catch (const Error& e) {
    throw Error(prefix + ": " + e.what());
  }
  if (doc.kind == Kind::kNull ||
      (doc.kind == Kind::kScalar && doc.plain && resolve_plain(doc.text).type == PlainScalar::Type::kNull))
    throw Error(prefix + ", no Spec data");
  try {
    return take_spec(doc);
  } catch (const DecodeError& e) {
    throw Error(prefix + ": " + (e.field.empty() ? "" : e.field + ": ") + e.message);
  }
}

Spec read_spec_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw sys_error("failed to read CDI Spec " + go_quote(path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw sys_error("failed to read CDI Spec " + go_quote(path));
  std::string data;
  data.resize(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0);
  size_t used = 0;
  for (;;) {
    if (used == data.size()) data.resize(data.size() < 4096 ? 4096 : data.size() * 2);
    ssize_t n = ::read(fd.get(), data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("failed to read CDI Spec " + go_quote(path));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  data.resize(used);
  return parse_spec(data, path);
}

}  // namespace gpuhooks::cdi
