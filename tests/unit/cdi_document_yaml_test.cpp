// The spec reader (document.h): YAML and JSON text to the tree the decoder's rules (parse.cpp) rest on, as yaml.v2
// reads it for the reference.
#include <gtest/gtest.h>

#include "common/cdi/spec/document.h"
#include "support/test_support.h"

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
DocNode null() { return DocNode{}; }
DocNode collection(Kind kind, std::vector<DocNode> items) {
  DocNode n;
  n.kind = kind;
  n.items = std::move(items);
  return n;
}
DocNode mapping(std::vector<DocNode> items) { return collection(Kind::kMapping, std::move(items)); }
DocNode sequence(std::vector<DocNode> items) { return collection(Kind::kSequence, std::move(items)); }

std::string yaml_error(const std::string& text) {
  return gpuhooks::test::error_of([&] { load_document(text); });
}

}  // namespace

TEST(CdiDocumentYaml, EmptyNodesAndPlainNullSpellingsAreNull) {
  EXPECT_EQ(load_document("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: 'null'\n"),
            mapping({plain("a"), null(), plain("b"), null(), plain("c"), null(), plain("d"), null(), plain("e"), null(),
                     plain("f"), quoted("null")}));
}

TEST(CdiDocumentYaml, PlainScalarsAreMarkedForYaml11ResolutionAndQuotedOrBlockOnesAreNot) {
  EXPECT_EQ(load_document("a: 0644\nb: '0644'\nc: \"yes\"\nd: |\n  on\n"),
            mapping({plain("a"), plain("0644"), plain("b"), quoted("0644"), plain("c"), quoted("yes"), plain("d"),
                     quoted("on\n")}));
}

TEST(CdiDocumentYaml, YamlOrgTagsOtherThanStrResolveAsPlain) {
  EXPECT_EQ(load_document("- !!int 0644\n- !!str 0644\n- !local 0644\n- !!null null\n"),
            sequence({plain("0644"), quoted("0644"), quoted("0644"), plain("null")}));
}

TEST(CdiDocumentYaml, DuplicateKeysAreKeptForTheDecoderToReject) {
  EXPECT_EQ(load_document("a: 1\na: 2\n"), mapping({plain("a"), plain("1"), plain("a"), plain("2")}));
}

TEST(CdiDocumentYaml, OnlyTheFirstDocumentIsRead) {
  EXPECT_EQ(load_document("a: 1\n---\nb: 2\n"), mapping({plain("a"), plain("1")}));
  EXPECT_EQ(load_document("a: 1\n--- [\n"), mapping({plain("a"), plain("1")}));
}

TEST(CdiDocumentYaml, EmptyTextOrOnlyCommentsIsNull) {
  EXPECT_EQ(load_document(""), null());
  EXPECT_EQ(load_document("# nothing\n"), null());
}

TEST(CdiDocumentYaml, ATaggedEmptyRootIsAnEmptyString) {
  EXPECT_EQ(load_document("--- !!str\n"), quoted(""));
  EXPECT_EQ(load_document("--- !!str\n...\n"), quoted(""));
}

TEST(CdiDocumentYaml, AliasesCopyTheAnchoredNode) {
  EXPECT_EQ(load_document("a: &x {b: [1]}\nc: *x\n"),
            mapping({plain("a"), mapping({plain("b"), sequence({plain("1")})}), plain("c"),
                     mapping({plain("b"), sequence({plain("1")})})}));
}

TEST(CdiDocumentYaml, AnAliasNamesTheNewestNodeOfItsAnchor) {
  EXPECT_EQ(load_document("a: &x [1, &x 2]\nb: *x\n"),
            mapping({plain("a"), sequence({plain("1"), plain("2")}), plain("b"), plain("2")}));
}

TEST(CdiDocumentYaml, AliasToAnUnknownAnchorIsAnError) {
  EXPECT_EQ(yaml_error("a: *x\n"), "yaml: line 1, column 4: unknown anchor 'x' referenced");
}

TEST(CdiDocumentYaml, AliasInsideItsOwnAnchoredNodeIsAnError) {
  EXPECT_EQ(yaml_error("a: &x [*x]\n"), "yaml: line 1, column 8: anchor 'x' value contains itself");
}

// Stricter than yaml.v2, which reads the root node and ignores what follows it.
TEST(CdiDocumentYaml, TextAfterTheRootNodeIsAnError) {
  EXPECT_EQ(yaml_error("a\n: b\n"), "yaml: line 2, column 1: did not find expected <document start>");
  EXPECT_EQ(yaml_error("{a: 1} ]\n"), "yaml: line 1, column 8: did not find expected <document start>");
}

TEST(CdiDocumentYaml, SyntaxErrorsSayLibyamlsProblemWhereAndInWhatContext) {
  EXPECT_EQ(yaml_error("devices: [a\nkind: x\n"),
            "yaml: line 2, column 5: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
            "column 10)");
  EXPECT_EQ(yaml_error("a: 'x\n"),
            "yaml: line 2, column 1: found unexpected end of stream (while scanning a quoted scalar at line 1, "
            "column 4)");
}

TEST(CdiDocumentYaml, QuestionMarksAndColonsInsideFlowPlainScalarsAreText) {
  // As the reference's yaml.v2 reads them: in flow context only ": " and "? " are indicators.
  EXPECT_EQ(load_document("args: [a?b, c:d]\n"), mapping({plain("args"), sequence({plain("a?b"), plain("c:d")})}));
}

TEST(CdiDocumentYaml, NextLineAndNonBreakingSpaceEscapesAreUtf8) {
  EXPECT_EQ(load_document("- \"\\N\"\n- \"\\_\"\n"), sequence({quoted("\u0085"), quoted("\u00a0")}));
}

TEST(CdiDocumentYaml, CrLfLineEndingsReadAsNewlines) {
  EXPECT_EQ(load_document("a: x\r\n  y\r\nb: |\r\n  l1\r\n  l2\r\n"),
            mapping({plain("a"), plain("x y"), plain("b"), quoted("l1\nl2\n")}));
}

// JSON is read as YAML flow text, as the reference reads it (cdi.md §1.1): strings are quoted scalars, numbers,
// booleans and null plain ones, for the YAML 1.1 resolver to type.
TEST(CdiDocumentJson, StringsAreQuotedScalarsAndNumbersAndBooleansArePlainText) {
  EXPECT_EQ(load_document(R"({"a": "0644", "b": 6.5e1, "c": true, "d": false, "e": -12})"),
            mapping({quoted("a"), quoted("0644"), quoted("b"), plain("6.5e1"), quoted("c"), plain("true"), quoted("d"),
                     plain("false"), quoted("e"), plain("-12")}));
}

TEST(CdiDocumentJson, NullIsANullNodeAndArraysAreSequences) {
  EXPECT_EQ(load_document(R"({"a": null, "b": [null, []]})"),
            mapping({quoted("a"), null(), quoted("b"), sequence({null(), sequence({})})}));
}

TEST(CdiDocumentJson, DuplicateKeysAreKeptForTheDecoderToReject) {
  EXPECT_EQ(load_document(R"({"a": 1, "a": 2})"), mapping({quoted("a"), plain("1"), quoted("a"), plain("2")}));
}

TEST(CdiDocumentJson, EscapesDecodeToUtf8) {
  EXPECT_EQ(load_document(R"({"s": "\"\\\/\b\f\n\r\t \u00e9 caf)"
                          "\xc3\xa9"
                          R"("})"),
            mapping({quoted("s"), quoted("\"\\/\b\f\n\r\t \u00e9 caf\u00e9")}));
}

TEST(CdiDocumentJson, SurrogateEscapesAreRejectedAsYamlV2RejectsThem) {
  EXPECT_EQ(yaml_error(R"({"s": "\ud83d\ude00"})"),
            "yaml: line 1, column 10: found invalid Unicode character escape code (while parsing a quoted scalar at "
            "line 1, column 7)");
}
