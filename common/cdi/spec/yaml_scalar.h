#pragma once
// YAML 1.1 plain-scalar resolution as gopkg.in/yaml.v2 does it (resolve.go), and the conversions sigs.k8s.io/yaml
// applies when such a value lands in a string field (cdi.md §1.1 rule 5): the reference reads CDI specs this way,
// so `name: 0` is "0", `yes`/`on` are "true", `01` is "1", `fileMode: 0644` is 420 and `cdiVersion: 1.0` is "1".
#include <cstdint>
#include <string>
#include <string_view>

namespace gpuhooks::cdi {

struct PlainScalar {
  enum class Type : uint8_t { kNull, kBool, kInt, kUint, kFloat, kString };
  Type type = Type::kString;
  bool boolean = false;
  int64_t int_value = 0;    // kInt
  uint64_t uint_value = 0;  // kUint: above INT64_MAX
  double float_value = 0;   // kFloat
};

// yaml.v2 resolve() for an untagged plain scalar. Timestamps stay strings (yaml.v2 keeps them as text when the
// target is untyped, which it is on the way to JSON).
PlainScalar resolve_plain(std::string_view text);

// The string a resolved plain scalar becomes in a string field: ints in decimal, bools "true"/"false", floats as Go's
// strconv.FormatFloat(v, 'g', -1, 32) with ".inf"/"-.inf"/".nan", null "".
std::string plain_as_string(std::string_view text);

// Go's strconv.FormatFloat(v, 'g', -1, 32): shortest float32 digits, exponent form below 1e-4 and from 1e+06; "+Inf"
// or "-Inf" beyond the float32 range.
std::string format_float_g32(double v);

// Go's strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64): optional sign (ParseInt only), 0x/0o/0b prefixes, a leading
// 0 means octal. False on syntax error or overflow.
bool parse_go_int(std::string_view s, int64_t& out);
bool parse_go_uint(std::string_view s, uint64_t& out);

}  // namespace gpuhooks::cdi
