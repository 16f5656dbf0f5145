// Strict-JSON front end: RFC 8259 text -> DocNode, shaped exactly as the YAML front end shapes the same text:
// strings are quoted scalars, numbers/true/false are plain scalars carrying their text (resolved later by the same
// YAML 1.1 rules), null is null, and duplicate keys are kept so that the decoder can reject them.
//
// A small scanner of our own instead of nlohmann's SAX parser (which this file used before): nlohmann's lexer reads
// one character at a time through an input adapter and keeps a copy of every token, and was half the cost of loading
// a JSON spec (bench/cdi_bench). It accepts exactly what nlohmann accepted (tests/unit/cdi_document_json_test.cpp holds
// one against the other), so the JSON-or-YAML choice is unchanged:
//   - whitespace is space, tab, LF, CR; the whole text is one value, here always an object (see load_json_document);
//   - strings: no raw control characters, valid UTF-8 only, the eight escapes plus \uXXXX with paired surrogates;
//   - numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)?, finite as a double unless a 64-bit integer; an integer
//     keeps its text except "-0", which nlohmann read as the integer 0 and so wrote as "0".
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/cdi/document.h"

namespace gpuhooks::cdi {
namespace {

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // The whole text as one value, or nullopt when it is not strict JSON.
  std::optional<DocNode> document() {
    DocNode root;
    skip_space();
    if (!value(root, 0)) return std::nullopt;
    skip_space();
    if (p_ != end_) return std::nullopt;
    return root;
  }

 private:
  // Deeper nesting is not JSON a CDI spec has; refusing it bounds the recursion (such text goes to the YAML parser).
  static constexpr int kMaxDepth = 1000;

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool word(std::string_view w) {
    if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }

  bool value(DocNode& out, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"':
        out.kind = DocNode::Kind::kScalar;
        return string(out.text);
      case 't': return word("true") && plain(out, "true");
      case 'f': return word("false") && plain(out, "false");
      case 'n': return word("null");  // out stays null
      default: return number(out);
    }
  }

  static bool plain(DocNode& out, std::string_view text) {
    out.kind = DocNode::Kind::kScalar;
    out.plain = true;
    out.text.assign(text);
    return true;
  }

  bool object(DocNode& out, int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '{'
    out.kind = DocNode::Kind::kMapping;
    skip_space();
    if (eat('}')) return true;
    for (;;) {
      if (p_ == end_ || *p_ != '"') return false;
      DocNode& key = out.items.emplace_back();
      key.kind = DocNode::Kind::kScalar;
      if (!string(key.text)) return false;
      skip_space();
      if (!eat(':')) return false;
      skip_space();
      if (!value(out.items.emplace_back(), depth)) return false;
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return false;
      skip_space();
    }
  }

  bool array(DocNode& out, int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '['
    out.kind = DocNode::Kind::kSequence;
    skip_space();
    if (eat(']')) return true;
    for (;;) {
      if (!value(out.items.emplace_back(), depth)) return false;
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return false;
      skip_space();
    }
  }

  bool number(DocNode& out) {
    const char* start = p_;
    auto digits = [&] {
      const char* from = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ != from;
    };
    eat('-');
    if (eat('0')) {
      // a leading zero stands alone
    } else if (!digits()) {
      return false;
    }
    bool integer = true;
    if (eat('.')) {
      integer = false;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    std::string_view text(start, p_ - start);
    if (!(integer && fits_64_bits(text)) && !finite_double(text)) return false;
    return plain(out, integer && text == "-0" ? "0" : text);
  }

  // nlohmann read an integer into int64 (negative) or uint64 when it fit, and as a double otherwise.
  static bool fits_64_bits(std::string_view text) {
    const char* first = text.data();
    const char* last = first + text.size();
    std::from_chars_result r;
    if (text[0] == '-') {
      int64_t v;
      r = std::from_chars(first, last, v);
    } else {
      uint64_t v;
      r = std::from_chars(first, last, v);
    }
    return r.ec == std::errc() && r.ptr == last;
  }

  // nlohmann rejected a number whose double overflows ("number overflow"); underflow to 0 is fine (strtod's rule).
  static bool finite_double(std::string_view text) {
    std::string copy(text);
    return std::isfinite(std::strtod(copy.c_str(), nullptr));
  }

  bool hex4(uint32_t& out) {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      char c = *p_;
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      out = out * 16 + d;
    }
    return true;
  }

  static void append_utf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool escape(std::string& s) {
    if (p_ == end_) return false;
    char c = *p_++;
    switch (c) {
      case '"': s += '"'; return true;
      case '\\': s += '\\'; return true;
      case '/': s += '/'; return true;
      case 'b': s += '\b'; return true;
      case 'f': s += '\f'; return true;
      case 'n': s += '\n'; return true;
      case 'r': s += '\r'; return true;
      case 't': s += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    uint32_t cp;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate must follow a high one
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!word("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(s, cp);
    return true;
  }

  // One UTF-8 sequence of two to four bytes (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
  bool utf8_sequence(std::string& s) {
    auto byte = [&](size_t i) { return static_cast<uint8_t>(p_[i]); };
    uint8_t lead = byte(0);
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) n = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) n = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
    else if (lead >= 0xF0 && lead <= 0xF4) n = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
    else return false;
    if (static_cast<size_t>(end_ - p_) < n) return false;
    if (byte(1) < lo || byte(1) > hi) return false;
    for (size_t i = 2; i < n; ++i)
      if (byte(i) < 0x80 || byte(i) > 0xBF) return false;
    s.append(p_, n);
    p_ += n;
    return true;
  }

  bool string(std::string& s) {
    ++p_;  // '"'
    for (;;) {
      // Copy the run of plain ASCII at once: spec strings are paths and words, escapes are rare.
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<uint8_t>(*p_) >= 0x20 &&
             static_cast<uint8_t>(*p_) < 0x80)
        ++p_;
      s.append(run, p_ - run);
      if (p_ == end_) return false;
      char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        ++p_;
        if (!escape(s)) return false;
      } else if (static_cast<uint8_t>(c) < 0x20) {
        return false;
      } else if (!utf8_sequence(s)) {
        return false;
      }
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace

std::optional<DocNode> load_json_document(std::string_view data) {
  // Only text that starts like a JSON object is tried: a YAML file must not pay for a failed JSON parse.
  size_t i = 0;
  while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) ++i;
  if (i == data.size() || data[i] != '{') return std::nullopt;
  return JsonScanner(data).document();
}

}  // namespace gpuhooks::cdi
