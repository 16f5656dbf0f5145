#include "common/cdi/spec/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace gpuhooks::cdi {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// yaml.v2's resolve table: the bools of YAML 1.1 (y/n included) and the null spellings.
bool lookup_word(std::string_view s, PlainScalar& out) {
  static constexpr std::string_view kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  for (auto w : kTrue)
    if (s == w) return out = {PlainScalar::Type::kBool, true}, true;
  for (auto w : kFalse)
    if (s == w) return out = {PlainScalar::Type::kBool, false}, true;
  for (auto w : kNull)
    if (s == w) return out = {PlainScalar::Type::kNull}, true;
  auto set_float = [&](double v) {
    out = {PlainScalar::Type::kFloat};
    out.float_value = v;
    return true;
  };
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return set_float(std::nan(""));
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
    return set_float(std::numeric_limits<double>::infinity());
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return set_float(-std::numeric_limits<double>::infinity());
  return false;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$  (yaml.v2 yamlStyleFloat)
bool is_yaml_style_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  } else {
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(s[i])) ++i;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

// Go's ParseFloat for the decimal forms the callers let through (yamlStyleFloat, or a leading '.').
bool parse_decimal_float(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) {
    // Go returns ±Inf with ErrRange, which yaml.v2 treats as "not a float" (the scalar stays a string).
    return false;
  }
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool parse_go_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  unsigned base = 10;
  if (s[0] == '0' && s.size() > 1) {
    char p = s[1];
    if (p == 'x' || p == 'X') base = 16, s.remove_prefix(2);
    else if (p == 'b' || p == 'B') base = 2, s.remove_prefix(2);
    else if (p == 'o' || p == 'O') base = 8, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
    if (s.empty()) return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (is_digit(c)) d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return false;
    if (d >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base) return false;
    v = v * base + d;
  }
  out = v;
  return true;
}

bool parse_go_int(std::string_view s, int64_t& out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t u;
  if (!parse_go_uint(s, u)) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (u > kMax + 1) return false;
    out = u == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u);
  } else {
    if (u > kMax) return false;
    out = static_cast<int64_t>(u);
  }
  return true;
}

PlainScalar resolve_plain(std::string_view text) {
  PlainScalar r;
  if (lookup_word(text, r)) return r;
  char c = text[0];  // lookup_word handled ""
  if (c == '.') {
    double f;
    if (parse_decimal_float(text, f)) r = {PlainScalar::Type::kFloat}, r.float_value = f;
    return r;
  }
  if (!(is_digit(c) || c == '+' || c == '-')) return r;
  std::string plain;
  plain.reserve(text.size());
  for (char ch : text)
    if (ch != '_') plain += ch;
  if (parse_go_int(plain, r.int_value)) return r.type = PlainScalar::Type::kInt, r;
  if (parse_go_uint(plain, r.uint_value)) return r.type = PlainScalar::Type::kUint, r;
  if (is_yaml_style_float(plain) && parse_decimal_float(plain, r.float_value))
    return r.type = PlainScalar::Type::kFloat, r;
  // "0b..."/"-0b..." are already covered by parse_go_int.
  return PlainScalar{};
}

std::string format_float_g32(double v) {
  if (std::isnan(v)) return "NaN";
  // Go converts to float32 first, so a finite double beyond its range is an infinity too (found by
  // tests/fuzz/cdi_spec_fuzz.cpp: to_chars writes "inf", which has no exponent to read).
  float f = static_cast<float>(v);
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  // Shortest round-trip digits of the float32, then Go's %g layout (strconv/ftoa.go: with the shortest precision,
  // %e is used when exp < -4 || exp >= 6).
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, end);  // "-d.ddde+XX"
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t epos = sci.find('e');
  int exp = std::atoi(sci.c_str() + epos + 1);
  std::string digits;
  for (size_t i = 0; i < epos; ++i)
    if (sci[i] != '.') digits += sci[i];
  int nd = static_cast<int>(digits.size());
  constexpr int eprec = 6;
  std::string out = negative ? "-" : "";
  if (exp < -4 || exp >= eprec) {
    out += digits[0];
    if (nd > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  if (exp < 0) {
    out += "0." + std::string(-exp - 1, '0') + digits;
  } else if (exp + 1 >= nd) {
    out += digits + std::string(exp + 1 - nd, '0');
  } else {
    out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  }
  return out;
}

std::string plain_as_string(std::string_view text) {
  PlainScalar r = resolve_plain(text);
  switch (r.type) {
    case PlainScalar::Type::kNull: return "";
    case PlainScalar::Type::kBool: return r.boolean ? "true" : "false";
    case PlainScalar::Type::kInt: return std::to_string(r.int_value);
    case PlainScalar::Type::kUint: return std::to_string(r.uint_value);
    case PlainScalar::Type::kFloat: {
      std::string s = format_float_g32(r.float_value);
      if (s == "+Inf") return ".inf";
      if (s == "-Inf") return "-.inf";
      if (s == "NaN") return ".nan";
      return s;
    }
    case PlainScalar::Type::kString: break;
  }
  return std::string(text);
}

}  // namespace gpuhooks::cdi
