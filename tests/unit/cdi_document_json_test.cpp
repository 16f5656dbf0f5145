// The strict-JSON front end (document.h, document_json.cpp): the JSON fast path accepts exactly strict JSON and
// shapes it as the YAML front end shapes the same text. It replaced nlohmann's SAX parser, which is kept here as the
// oracle: both must accept the same texts and build the same trees.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "common/cdi/document.h"

using namespace gpuhooks::cdi;
using Kind = DocNode::Kind;

namespace {

DocNode scalar(std::string text, bool plain) {
  DocNode n;
  n.kind = Kind::kScalar;
  n.plain = plain;
  n.text = std::move(text);
  return n;
}
DocNode plain(std::string text) { return scalar(std::move(text), true); }
DocNode quoted(std::string text) { return scalar(std::move(text), false); }
DocNode mapping(std::vector<DocNode> items) {
  DocNode n;
  n.kind = Kind::kMapping;
  n.items = std::move(items);
  return n;
}
DocNode sequence(std::vector<DocNode> items) {
  DocNode n;
  n.kind = Kind::kSequence;
  n.items = std::move(items);
  return n;
}

// The front end this file replaced: nlohmann's SAX events -> DocNode.
class NlohmannTreeBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  DocNode root;
  bool null() override { return add(DocNode{}); }
  bool boolean(bool val) override { return add(plain(val ? "true" : "false")); }
  bool number_integer(number_integer_t val) override { return add(plain(std::to_string(val))); }
  bool number_unsigned(number_unsigned_t val) override { return add(plain(std::to_string(val))); }
  bool number_float(number_float_t, const string_t& s) override { return add(plain(s)); }
  bool string(string_t& val) override { return add(quoted(val)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(Kind::kMapping); }
  bool key(string_t& val) override { return string(val); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Kind::kSequence); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool open(Kind kind) {
    stack_.emplace_back().kind = kind;
    return true;
  }
  bool close() {
    DocNode n = std::move(stack_.back());
    stack_.pop_back();
    return add(std::move(n));
  }
  bool add(DocNode n) {
    (stack_.empty() ? root : stack_.back().items.emplace_back()) = std::move(n);
    return true;
  }
  std::vector<DocNode> stack_;
};

std::optional<DocNode> nlohmann_document(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos || text[text.find_first_not_of(" \t\r\n")] != '{')
    return std::nullopt;
  NlohmannTreeBuilder builder;
  if (!nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, true)) return std::nullopt;
  return builder.root;
}

}  // namespace

TEST(CdiDocumentJson, StringsAreQuotedScalarsAndNumbersAndBooleansArePlainText) {
  EXPECT_EQ(load_json_document(R"({"a": "0644", "b": 6.5e1, "c": true, "d": false, "e": -12})"),
            mapping({quoted("a"), quoted("0644"), quoted("b"), plain("6.5e1"), quoted("c"), plain("true"),
                     quoted("d"), plain("false"), quoted("e"), plain("-12")}));
}

TEST(CdiDocumentJson, NullIsANullNodeAndArraysAreSequences) {
  EXPECT_EQ(load_json_document(R"({"a": null, "b": [null, []]})"),
            mapping({quoted("a"), DocNode{}, quoted("b"), sequence({DocNode{}, sequence({})})}));
}

TEST(CdiDocumentJson, DuplicateKeysAreKeptForTheDecoderToReject) {
  EXPECT_EQ(load_json_document(R"({"a": 1, "a": 2})"), mapping({quoted("a"), plain("1"), quoted("a"), plain("2")}));
}

TEST(CdiDocumentJson, MinusZeroIsWrittenAsZeroLikeAnyOtherInteger) {
  EXPECT_EQ(load_json_document(R"({"a": -0, "b": -0.0})"),
            mapping({quoted("a"), plain("0"), quoted("b"), plain("-0.0")}));
}

TEST(CdiDocumentJson, EscapesAndSurrogatePairsDecodeToUtf8) {
  EXPECT_EQ(load_json_document(R"({"s": "\"\\\/\b\f\n\r\t \u00e9 \ud83d\ude00 caf)" "\xc3\xa9" R"("})"),
            mapping({quoted("s"), quoted("\"\\/\b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 caf\xc3\xa9")}));
}

TEST(CdiDocumentJson, TextThatIsNotStrictJsonIsLeftToYaml) {
  for (const char* text : {"{\"a\": 1,}", "{'a': 1}", "{a: 1}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}",
                           "{\"a\": \"\\ud800\"}", "{\"a\": \"\\udc00\"}", "{\"a\": \"\\x41\"}", "{\"a\": \"\xc3\"}",
                           "{\"a\": \"\xed\xa0\x80\"}", "{\"a\": \"tab\there\"}", "{\"a\": 1e400}", "{\"a\": 1} x",
                           "[1]", "\xef\xbb\xbf{}", "{\"a\": +1}", "{\"a\": tru}", ""})
    EXPECT_FALSE(load_json_document(text).has_value()) << text;
}

TEST(CdiDocumentJson, NumbersBeyond64BitsAreKeptAsTextWhileFiniteAsADouble) {
  EXPECT_EQ(load_json_document(R"({"a": 18446744073709551616, "b": -9223372036854775809, "c": 1e-400})"),
            mapping({quoted("a"), plain("18446744073709551616"), quoted("b"), plain("-9223372036854775809"),
                     quoted("c"), plain("1e-400")}));
}

TEST(CdiDocumentJson, AcceptsAndBuildsWhatNlohmannDidOnMutatedSpecText) {
  const std::vector<std::string> seeds = {
      R"({"cdiVersion":"0.7.0","kind":"v.com/c","devices":[{"name":"0","containerEdits":{"deviceNodes":)"
      R"([{"path":"/dev/x","major":1,"fileMode":420,"uid":0}],"additionalGids":[5],"intelRdt":{}}}]})",
      "{\n  \"a\": [1, -0, -5, 0.5, 1e5, -1.5E-3, 123456789012345678901234567890, -9223372036854775809],\n"
      "  \"b\": \"caf\xc3\xa9 \xf0\x9f\x98\x80 \\u00e9 \\ud83d\\ude00 \\n\\t\\\\\\/\\\"\\b\\f\\r \\u0000\",\n"
      "  \"c\": {\"d\": null, \"e\": true, \"f\": false, \"d\": []}\n}\n",
  };
  const std::string alphabet = " \n\t\r{}[],:\"\\-+.eE0123456789abcdefnrtulDCF/\x01\xc3\xa9\xed\xa0\x80\xf4\x90";
  std::mt19937 rng(20240601);  // fixed: the same texts on every run
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    for (int m = 1 + rng() % 3; m > 0; --m) {
      size_t pos = rng() % (text.size() + 1);
      if (rng() % 2 == 0 && pos < text.size()) text.erase(pos, 1);
      else text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
    }
    auto ours = load_json_document(text);
    auto oracle = nlohmann_document(text);
    ASSERT_EQ(ours.has_value(), oracle.has_value()) << text;
    if (ours) {
      ASSERT_EQ(*ours, *oracle) << text;
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 1000);  // the mutations leave enough valid JSON for the comparison to mean something
}
