#include "common/request/requirements.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/split_join.h"

namespace gpuhooks::request {
namespace {

// An image writes each value; the bounds keep a hostile one from making the hook do unbounded work or print an
// unbounded line. NVIDIA's images use a few hundred bytes and about ten alternatives.
constexpr size_t kMaxValueBytes = 4096;
constexpr size_t kMaxTerms = 64;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
enum class Property { kCuda, kDriver, kArch, kBrand };

struct Factor {
  Property property;
  Op op;
  std::string value;
};
using Term = std::vector<Factor>;  // factors ANDed; a value's terms are ORed

// The value as written, control bytes escaped, so that an error stays one line whatever the image wrote.
std::string shown(std::string_view v) {
  std::string q = oci::quote(v, '\'');
  return q.substr(1, q.size() - 2);
}

[[noreturn]] void invalid(std::string_view value, const std::string& why) {
  throw Error("invalid requirement " + oci::quote(value.substr(0, 120), '\'') + (value.size() > 120 ? "..." : "") +
              ": " + why);
}

// libnvidia-container's dsl_compare_version accepts digits and dots only; we also refuse empty components.
bool is_version(std::string_view v) {
  if (v.empty()) return false;
  for (const auto& part : split(v, '.'))
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return false;
  return true;
}

// Numeric, component by component, a missing component as 0: "12.10" > "12.4", "11.0" == "11". Components are
// compared as digit strings, so no value overflows.
int compare_versions(std::string_view a, std::string_view b) {
  auto xs = split(a, '.'), ys = split(b, '.');
  for (size_t i = 0; i < std::max(xs.size(), ys.size()); ++i) {
    std::string_view x = i < xs.size() ? std::string_view(xs[i]) : "0",
                     y = i < ys.size() ? std::string_view(ys[i]) : "0";
    x.remove_prefix(std::min(x.find_first_not_of('0'), x.size()));
    y.remove_prefix(std::min(y.find_first_not_of('0'), y.size()));
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    if (int c = x.compare(y)) return c < 0 ? -1 : 1;
  }
  return 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// <property><op><value>; the operator is the whole run of <>=! characters, so `==` and `=>` are invalid, as in
// libnvidia-container. nullopt: a property we do not know, which the toolkit's own evaluator ignores.
std::optional<Factor> parse_factor(std::string_view value, std::string_view text) {
  size_t at = text.find_first_of("<>=!");
  if (at == std::string_view::npos) invalid(value, "no operator (one of = != < <= > >=) in " + oci::quote(text, '\''));
  if (at == 0) invalid(value, "no property before the operator in " + oci::quote(text, '\''));
  size_t end = text.find_first_not_of("<>=!", at);
  std::string_view op_text = text.substr(at, end - at);
  static constexpr std::array<std::pair<std::string_view, Op>, 6> kOps = {
      {{"=", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt}, {"<=", Op::kLe}, {">", Op::kGt}, {">=", Op::kGe}}};
  auto op = std::find_if(kOps.begin(), kOps.end(), [&](const auto& o) { return o.first == op_text; });
  if (op == kOps.end())
    invalid(value, "unknown operator " + oci::quote(op_text, '\'') + " in " + oci::quote(text, '\''));
  std::string name = lower(text.substr(0, at));
  std::string operand(end == std::string_view::npos ? std::string_view() : text.substr(end));
  Property property;
  if (name == "cuda") property = Property::kCuda;
  else if (name == "driver") property = Property::kDriver;
  else if (name == "arch") property = Property::kArch;
  else if (name == "brand") property = Property::kBrand;
  else return std::nullopt;
  if (property == Property::kBrand) {
    if (op->second != Op::kEq && op->second != Op::kNe)
      invalid(value, "brand compares with = or != only, in " + oci::quote(text, '\''));
  } else if (!is_version(operand)) {
    invalid(value, "not a version (digits and dots) in " + oci::quote(text, '\''));
  }
  return Factor{property, op->second, std::move(operand)};
}

std::vector<Term> parse_value(const std::string& value) {
  if (value.size() > kMaxValueBytes) invalid(value, "longer than " + std::to_string(kMaxValueBytes) + " bytes");
  std::vector<Term> terms;
  // Runs of spaces and of commas make empty items, which libnvidia-container's strsep loop skips.
  for (const auto& term_text : split(value, ' ')) {
    if (term_text.empty()) continue;
    if (terms.size() == kMaxTerms) invalid(value, "more than " + std::to_string(kMaxTerms) + " alternatives");
    Term term;
    for (const auto& factor_text : split(term_text, ','))
      if (!factor_text.empty())
        if (auto f = parse_factor(value, factor_text)) term.push_back(std::move(*f));
    terms.push_back(std::move(term));
  }
  return terms;
}

bool compare(int c, Op op) {
  switch (op) {
    case Op::kEq: return c == 0;
    case Op::kNe: return c != 0;
    case Op::kLt: return c < 0;
    case Op::kLe: return c <= 0;
    case Op::kGt: return c > 0;
    case Op::kGe: return c >= 0;
  }
  return false;
}

// One device's view of the host: libnvidia-container evaluates every value once per selected GPU.
struct DeviceFacts {
  const HostFacts& host;
  const std::string& arch;
};

// A fact the host does not know makes the factor hold (libnvidia-container's rule for a NULL fact, and for
// arch and brand when no GPU is selected).
bool holds(const Factor& f, const DeviceFacts& d) {
  const std::string& fact = f.property == Property::kCuda     ? d.host.cuda_version
                            : f.property == Property::kDriver ? d.host.driver_version
                            : f.property == Property::kArch   ? d.arch
                                                              : d.host.brand;
  if (fact.empty()) return true;
  if (f.property == Property::kBrand) return compare(lower(fact) == lower(f.value) ? 0 : 1, f.op);
  if (!is_version(fact))
    throw Error("cannot check requirements: the host's version " + oci::quote(fact, '\'') + " is not numeric");
  return compare(compare_versions(fact, f.value), f.op);
}

bool satisfied(const std::vector<Term>& terms, const DeviceFacts& d) {
  // No terms (an empty NVIDIA_REQUIRE_* value, which the reference passes as --require=) asks for nothing.
  if (terms.empty()) return true;
  return std::any_of(terms.begin(), terms.end(), [&](const Term& t) {
    return std::all_of(t.begin(), t.end(), [&](const Factor& f) { return holds(f, d); });
  });
}

std::string or_unknown(const std::string& s) { return s.empty() ? "unknown" : shown(s); }

}  // namespace

void check_requirements(const std::vector<std::string>& requirements, const HostFacts& host) {
  // Parse everything first: a malformed value is an error even where an earlier alternative would hold.
  std::vector<std::vector<Term>> parsed;
  for (const auto& value : requirements) parsed.push_back(parse_value(value));
  static const std::string kUnknownArch;
  std::vector<const std::string*> archs;
  for (const auto& cc : host.compute_capabilities) archs.push_back(&cc);
  if (archs.empty()) archs.push_back(&kUnknownArch);
  for (size_t i = 0; i < requirements.size(); ++i) {
    for (const std::string* arch : archs) {
      if (satisfied(parsed[i], DeviceFacts{host, *arch})) continue;
      std::string message = "unsatisfied condition: " + shown(requirements[i]) + " (host: cuda " +
                            or_unknown(host.cuda_version) + ", driver " + or_unknown(host.driver_version) + ", brand " +
                            or_unknown(host.brand) + ", arch " + or_unknown(*arch) + ")";
      // libnvidia-container's advice when the image's first alternative is a CUDA floor.
      size_t first = requirements[i].find_first_not_of(' ');
      if (first != std::string::npos && requirements[i].compare(first, 6, "cuda>=") == 0)
        message += ", please update your driver to a newer version, or use an earlier cuda container";
      throw Error(message);
    }
  }
}

}  // namespace gpuhooks::request
