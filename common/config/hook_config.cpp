// config.toml over the built-in defaults (nvidia-hooks.md §2.2). The reference unmarshals with go-toml v1 into a
// struct, so a key of the wrong type fails the whole file and an unknown key is ignored; we keep both. This is the
// only file that includes toml++ (TOML_HEADER_ONLY=1 makes it the costly compile of the room).
#include "common/config/hook_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>

#include "common/config/toml_include.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::config {
namespace {

// The capabilities the reference knows ("all" stands for every one of them), sorted.
constexpr std::array<std::string_view, 7> kAllCapabilities = {"compat32", "compute", "display", "graphics",
                                                              "ngx",      "utility", "video"};

std::string trim(std::string_view s) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// ", a , ,b" -> {"a", "b"}: the reference trims each item and drops the empty ones.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  for (const auto& item : split(s, ',')) {
    std::string t = trim(item);
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "nothing";
  }
}

// Looks keys up by their dotted name ("nvidia-container-cli.root") so that every error names the key as a user
// writes it. A missing key or table keeps the default; a present one of the wrong type is an Error.
class Reader {
 public:
  Reader(const toml::table& root, const std::string& source) : root_(root), source_(source) {}

  Error error(std::string_view key, std::string_view problem) const {
    return Error(source_ + ": " + std::string(key) + ": " + std::string(problem));
  }

  void get(std::string_view key, bool& out) const {
    if (const toml::node* n = find(key)) out = expect<bool>(key, *n, "a boolean");
  }
  void get(std::string_view key, std::string& out) const {
    if (const toml::node* n = find(key)) out = expect<std::string>(key, *n, "a string");
  }
  void get(std::string_view key, int64_t& out) const {
    if (const toml::node* n = find(key)) out = expect<int64_t>(key, *n, "an integer");
  }
  // An array of strings replaces the default list as a whole, as the reference's unmarshalling does.
  void get(std::string_view key, std::vector<std::string>& out) const {
    const toml::node* n = find(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) throw error(key, "expected an array of strings, got " + std::string(type_name(n->type())));
    std::vector<std::string> items;
    for (size_t i = 0; i < a->size(); ++i) {
      items.push_back(expect<std::string>(std::string(key) + "[" + std::to_string(i) + "]", (*a)[i], "a string"));
    }
    out = std::move(items);
  }

 private:
  // The node at a dotted key, or nullptr when it or a table on the way is absent. A table on the way that is not
  // a table (`nvidia-container-cli = 1`) is an Error: ignoring it would silently drop every key the user meant.
  const toml::node* find(std::string_view key) const {
    const toml::table* table = &root_;
    for (size_t start = 0;;) {
      size_t dot = key.find('.', start);
      const toml::node* n = table->get(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (!n || dot == std::string_view::npos) return n;
      table = n->as_table();
      if (!table) throw error(key.substr(0, dot), "expected a table, got " + std::string(type_name(n->type())));
      start = dot + 1;
    }
  }

  template <typename T>
  T expect(std::string_view key, const toml::node& n, std::string_view wanted) const {
    if (auto v = n.value_exact<T>()) return *v;
    throw error(key, "expected " + std::string(wanted) + ", got " + std::string(type_name(n.type())));
  }

  const toml::table& root_;
  const std::string& source_;
};

void expect_one_of(const Reader& r, std::string_view key, const std::string& value,
                   std::initializer_list<std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw r.error(key, "\"" + value + "\" is not one of " + list);
}

// The CDI grammar for either half of a kind (cdi.md §2): a letter first, a letter or digit last, and letters,
// digits, '_', '.', '-' between.
bool is_kind_part(std::string_view s) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front())) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

// "vendor/class", split at the first '/' as CDI does, so "a/b/c" fails on the class "b/c".
void expect_kind(const Reader& r, std::string_view key, const std::string& kind) {
  size_t slash = kind.find('/');
  if (slash != std::string::npos && is_kind_part(std::string_view(kind).substr(0, slash)) &&
      is_kind_part(std::string_view(kind).substr(slash + 1))) {
    return;
  }
  throw r.error(key, "\"" + kind + "\" is not a CDI kind of the form vendor/class (e.g. nvidia.com/gpu)");
}

// "all" (anywhere in the list) stands for every capability; an unknown one fails with the reference's text, so a
// search for the message finds the same answers.
std::vector<std::string> read_capabilities(const std::string& value, const std::string& source) {
  std::vector<std::string> caps;
  for (auto& c : split_list(value)) {
    if (c == "all") {
      caps.insert(caps.end(), kAllCapabilities.begin(), kAllCapabilities.end());
    } else if (std::find(kAllCapabilities.begin(), kAllCapabilities.end(), c) != kAllCapabilities.end()) {
      caps.push_back(std::move(c));
    } else {
      std::vector<std::string> all(kAllCapabilities.begin(), kAllCapabilities.end());
      throw Error(source + ": Invalid value for config option 'supported-driver-capabilities'; " + value +
                  " (supported: " + join(all, ",") + ")");
    }
  }
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  return caps;
}

void read_cli(const Reader& r, CliConfig& cli) {
  r.get("nvidia-container-cli.root", cli.root);
  if (cli.root.empty()) cli.root = "/";  // the reference's default is "", which the CLI reads as the host root
  r.get("nvidia-container-cli.path", cli.path);
  r.get("nvidia-container-cli.environment", cli.environment);
  r.get("nvidia-container-cli.debug", cli.debug);
  r.get("nvidia-container-cli.ldcache", cli.ldcache);
  r.get("nvidia-container-cli.load-kmods", cli.load_kmods);
  r.get("nvidia-container-cli.no-pivot", cli.no_pivot);
  r.get("nvidia-container-cli.no-cgroups", cli.no_cgroups);
  r.get("nvidia-container-cli.user", cli.user);
  r.get("nvidia-container-cli.ldconfig", cli.ldconfig);
}

void read_runtime(const Reader& r, HookConfig& c) {
  r.get("nvidia-container-runtime.mode", c.mode);
  expect_one_of(r, "nvidia-container-runtime.mode", c.mode, {"auto", "cdi", "legacy"});
  r.get("nvidia-container-runtime.modes.cdi.spec-dirs", c.cdi_spec_dirs);
  r.get("nvidia-container-runtime.modes.cdi.default-kind", c.cdi_default_kind);
  expect_kind(r, "nvidia-container-runtime.modes.cdi.default-kind", c.cdi_default_kind);
  // The reference lets an unknown compat mode through and treats it as "disabled"; a typo would then silently
  // drop the compat libraries, so out of the set is an Error here, as for every other enumerated key.
  r.get("nvidia-container-runtime.modes.legacy.cuda-compat-mode", c.cuda_compat_mode);
  expect_one_of(r, "nvidia-container-runtime.modes.legacy.cuda-compat-mode", c.cuda_compat_mode,
                {"ldconfig", "mount", "disabled", "hook"});
  r.get("nvidia-container-runtime-hook.skip-mode-detection", c.skip_mode_detection);
  // Ours: the prestart hook's deadline (common/rootfs/hook_deadline.h). Docker's --gpus hook gets no environment,
  // so NVIDIA_CTK_HOOK_TIMEOUT cannot reach it there; this key can.
  constexpr int64_t kAbsent = -1'000'000;
  int64_t timeout = kAbsent;
  r.get("nvidia-container-runtime-hook.timeout", timeout);
  if (timeout == kAbsent) return;
  if (timeout < 1 || timeout > 3600)
    throw r.error("nvidia-container-runtime-hook.timeout", std::to_string(timeout) + " is not from 1 to 3600 seconds");
  c.hook_timeout = std::chrono::seconds(timeout);
}

void read_features(const Reader& r, HookConfig& c) {
  r.get("features.disable-imex-channel-creation", c.disable_imex_channel_creation);
  r.get("features.ignore-imex-channel-requests", c.ignore_imex_channel_requests);
  r.get("features.allow-cuda-compat-libs-from-container", c.allow_cuda_compat_libs_from_container);
  r.get("features.allow-ldconfig-from-container", c.allow_ldconfig_from_container);
}

// The ldconfig the CLI runs must be the host's ('@'): one from the container root runs the image's code with the
// hook's privileges (CVE-2024-0136/0137). Only the feature gate lets a container path through, as in the reference.
void check_ldconfig(const Reader& r, const HookConfig& c) {
  if (c.cli.ldconfig.starts_with('@') || c.allow_ldconfig_from_container) return;
  throw r.error("nvidia-container-cli.ldconfig",
                "\"" + c.cli.ldconfig +
                    "\" is not host-relative (does not start with a '@'); "
                    "features.allow-ldconfig-from-container = true would allow a path in the container");
}

toml::table parse_toml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    std::replace(what.begin(), what.end(), '\n', ' ');  // errors are printed as one line
    const auto& at = e.source().begin;
    throw Error(source + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + what);
  }
}

}  // namespace

HookConfig parse_hook_config(std::string_view toml_text, const std::string& source) {
  const toml::table root = parse_toml(toml_text, source);
  const Reader r(root, source);
  HookConfig c;
  c.source = source;
  r.get("disable-require", c.disable_require);
  std::string swarm;
  r.get("swarm-resource", swarm);
  c.swarm_resource = split_list(swarm);
  r.get("accept-nvidia-visible-devices-envvar-when-unprivileged", c.accept_envvar_unprivileged);
  r.get("accept-nvidia-visible-devices-as-volume-mounts", c.accept_volume_mounts);
  std::string caps = join(c.supported_driver_capabilities, ",");
  r.get("supported-driver-capabilities", caps);
  c.supported_driver_capabilities = read_capabilities(caps, source);
  read_cli(r, c.cli);
  read_runtime(r, c);
  read_features(r, c);
  check_ldconfig(r, c);
  return c;
}

}  // namespace gpuhooks::config
