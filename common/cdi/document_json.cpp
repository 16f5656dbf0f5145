// Strict-JSON front end: nlohmann SAX -> DocNode, shaped exactly as the YAML front end shapes the same text:
// strings are quoted scalars, numbers/true/false are plain scalars carrying their text (resolved later by the same
// YAML 1.1 rules), null is null, and duplicate keys are kept so that the decoder can reject them.
#include <nlohmann/json.hpp>

#include "common/cdi/document.h"

namespace gpuhooks::cdi {
namespace {

class JsonTreeBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  DocNode take_root() { return std::move(root_); }

  bool null() override { return add(DocNode{}); }
  bool boolean(bool val) override { return add(plain(val ? "true" : "false")); }
  bool number_integer(number_integer_t val) override { return add(plain(std::to_string(val))); }
  bool number_unsigned(number_unsigned_t val) override { return add(plain(std::to_string(val))); }
  bool number_float(number_float_t, const string_t& s) override { return add(plain(s)); }
  bool string(string_t& val) override {
    DocNode n;
    n.kind = DocNode::Kind::kScalar;
    n.text = std::move(val);
    return add(std::move(n));
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(DocNode::Kind::kMapping); }
  bool key(string_t& val) override { return string(val); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(DocNode::Kind::kSequence); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  static DocNode plain(std::string text) {
    DocNode n;
    n.kind = DocNode::Kind::kScalar;
    n.plain = true;
    n.text = std::move(text);
    return n;
  }
  bool open(DocNode::Kind kind) {
    stack_.emplace_back();
    stack_.back().kind = kind;
    return true;
  }
  bool close() {
    DocNode n = std::move(stack_.back());
    stack_.pop_back();
    return add(std::move(n));
  }
  bool add(DocNode n) {
    if (stack_.empty()) {
      root_ = std::move(n);
    } else {
      stack_.back().items.push_back(std::move(n));
    }
    return true;
  }

  std::vector<DocNode> stack_;
  DocNode root_;
};

}  // namespace

std::optional<DocNode> load_json_document(std::string_view data) {
  // Only text that starts like a JSON object is tried: a YAML file must not pay for a failed JSON parse.
  size_t i = 0;
  while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) ++i;
  if (i == data.size() || data[i] != '{') return std::nullopt;
  JsonTreeBuilder builder;
  bool ok = nlohmann::json::sax_parse(data.begin(), data.end(), &builder, nlohmann::json::input_format_t::json, true);
  if (!ok) return std::nullopt;
  return builder.take_root();
}

}  // namespace gpuhooks::cdi
