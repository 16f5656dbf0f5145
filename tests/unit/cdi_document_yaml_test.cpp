// The YAML front end (document.h, document_yaml.cpp): libyaml builds the tree yaml-cpp built before it, and yaml-cpp
// still answers for text libyaml rejects. The decoder's rules (parse.cpp) rest on this tree's shape.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/cdi/document.h"
#include "common/cdi/document_yaml_front_ends.h"
#include "common/error.h"
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
  try {
    load_yaml_document(text);
  } catch (const gpuhooks::Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string read_source_file(const std::string& relative) {
  std::ifstream in(gpuhooks::test::source_dir() / relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(CdiDocumentYaml, EmptyNodesAndPlainNullSpellingsAreNull) {
  EXPECT_EQ(load_yaml_document("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: 'null'\n"),
            mapping({plain("a"), null(), plain("b"), null(), plain("c"), null(), plain("d"), null(), plain("e"),
                     null(), plain("f"), quoted("null")}));
}

TEST(CdiDocumentYaml, PlainScalarsAreMarkedForYaml11ResolutionAndQuotedOrBlockOnesAreNot) {
  EXPECT_EQ(load_yaml_document("a: 0644\nb: '0644'\nc: \"yes\"\nd: |\n  on\n"),
            mapping({plain("a"), plain("0644"), plain("b"), quoted("0644"), plain("c"), quoted("yes"), plain("d"),
                     quoted("on\n")}));
}

TEST(CdiDocumentYaml, YamlOrgTagsOtherThanStrResolveAsPlain) {
  EXPECT_EQ(load_yaml_document("- !!int 0644\n- !!str 0644\n- !local 0644\n- !!null null\n"),
            sequence({plain("0644"), quoted("0644"), quoted("0644"), plain("null")}));
}

TEST(CdiDocumentYaml, DuplicateKeysAreKeptForTheDecoderToReject) {
  EXPECT_EQ(load_yaml_document("a: 1\na: 2\n"), mapping({plain("a"), plain("1"), plain("a"), plain("2")}));
}

TEST(CdiDocumentYaml, OnlyTheFirstDocumentIsRead) {
  EXPECT_EQ(load_yaml_document("a: 1\n---\nb: 2\n"), mapping({plain("a"), plain("1")}));
  EXPECT_EQ(load_yaml_document("a: 1\n--- [\n"), mapping({plain("a"), plain("1")}));
}

TEST(CdiDocumentYaml, EmptyTextOrOnlyCommentsIsNull) {
  EXPECT_EQ(load_yaml_document(""), null());
  EXPECT_EQ(load_yaml_document("# nothing\n"), null());
}

TEST(CdiDocumentYaml, TaggedEmptyRootIsNullUnlessADocumentMarkerFollows) {
  EXPECT_EQ(load_yaml_document("--- !!str\n"), null());
  EXPECT_EQ(load_yaml_document("--- !!str\n...\n"), quoted(""));
}

TEST(CdiDocumentYaml, AliasesCopyTheAnchoredNode) {
  EXPECT_EQ(load_yaml_document("a: &x {b: [1]}\nc: *x\n"),
            mapping({plain("a"), mapping({plain("b"), sequence({plain("1")})}), plain("c"),
                     mapping({plain("b"), sequence({plain("1")})})}));
}

TEST(CdiDocumentYaml, AnAliasNamesTheNewestNodeOfItsAnchor) {
  EXPECT_EQ(load_yaml_document("a: &x [1, &x 2]\nb: *x\n"),
            mapping({plain("a"), sequence({plain("1"), plain("2")}), plain("b"), plain("2")}));
}

TEST(CdiDocumentYaml, AliasToAnUnknownAnchorIsAnError) {
  EXPECT_EQ(yaml_error("a: *x\n"), "yaml: line 1, column 4: the referenced anchor is not defined");
}

TEST(CdiDocumentYaml, AliasInsideItsOwnAnchoredNodeIsAnError) {
  EXPECT_EQ(yaml_error("a: &x [*x]\n"), "yaml: line 1, column 8: unknown anchor");
}

TEST(CdiDocumentYaml, TextAfterTheRootNodeIsAnError) {
  EXPECT_EQ(yaml_error("a\n: b\n"), "yaml: line 2, column 1: illegal map value");
  EXPECT_EQ(yaml_error("{a: 1} ]\n"), "yaml: line 1, column 8: illegal flow end");
}

TEST(CdiDocumentYaml, SyntaxErrorsKeepYamlCppWordingAndPosition) {
  EXPECT_EQ(yaml_error("devices: [a\nkind: x\n"), "yaml: line 2, column 5: end of sequence flow not found");
}

TEST(CdiDocumentYaml, TextOnlyYamlCppAcceptsStillLoads) {
  // An unterminated single-quoted scalar: libyaml (and yaml.v2) reject it, yaml-cpp reads "x ".
  ASSERT_FALSE(load_yaml_with_libyaml("a: 'x\n").has_value());
  EXPECT_EQ(load_yaml_document("a: 'x\n"), mapping({plain("a"), quoted("x ")}));
}

TEST(CdiDocumentYaml, QuestionMarksAndColonsInsideFlowPlainScalarsAreText) {
  // yaml-cpp rejected these ("unknown token"); libyaml and the reference's yaml.v2 read them as text.
  EXPECT_EQ(load_yaml_document("args: [a?b, c:d]\n"),
            mapping({plain("args"), sequence({plain("a?b"), plain("c:d")})}));
}

TEST(CdiDocumentYaml, NextLineAndNonBreakingSpaceEscapesAreUtf8) {
  // yaml-cpp wrote the raw code points as single bytes (0x85, 0xa0): invalid UTF-8.
  EXPECT_EQ(load_yaml_document("- \"\\N\"\n- \"\\_\"\n"), sequence({quoted("\u0085"), quoted("\u00a0")}));
}

TEST(CdiDocumentYaml, CrLfLineEndingsReadAsNewlines) {
  EXPECT_EQ(load_yaml_document("a: x\r\n  y\r\nb: |\r\n  l1\r\n  l2\r\n"),
            mapping({plain("a"), plain("x y"), plain("b"), quoted("l1\nl2\n")}));
}

// Differential check: on the spec-shaped text below, the libyaml tree equals the tree yaml-cpp builds.
TEST(CdiDocumentYaml, LibyamlAndYamlCppBuildTheSameTreeForSpecText) {
  const std::vector<std::string> texts = {
      read_source_file("tests/fixtures/cdi/nvidia-generated.yaml"),
      read_source_file("tests/fixtures/cdi/invalid-enablecmt.yaml"),
      "cdiVersion: \"0.6.0\"\r\nkind: \"nvidia.com/gpu\"\r\ndevices:\r\n  - name: \"0\"\r\n    containerEdits:\r\n"
      "      deviceNodes:\r\n        - path: /dev/nvidia0\r\n          fileMode: 0644\r\n",
      "\xef\xbb\xbf" "annotations:\n  key.example.com/a: \"1\"\n  yes: no\n  0x10: 0o17\n  1_000: 1e3\n"
      "  .inf: -.Inf\n  ? [a, b]\n  : c\n  \"\": ''\n  url: http://x.y/z?q=1#frag\n  caf\xc3\xa9: \xe2\x82\xac\n",
      "list:\n- \"\\u20ac\\n\\t\\\\ \\\" \\0 \\e \\L \\P \\x41\"\n- 'multi\n\n  line it''s'\n- |+\n  keep\n\n"
      "- |2-\n    indented\n- >\n  folded\n  text\n\n  para\n- plain\n  multi line\n",
      "hooks:\n- hookName: createContainer\n  path: /usr/bin/nvidia-cdi-hook\n  args: [nvidia-cdi-hook, "
      "create-symlinks, --link, libcuda.so.1::/usr/lib/libcuda.so]\n  env: []\n  timeout: !!int 10\n"
      "- {hookName: poststop, path: /bin/true, args: ~}\n",
      "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !e!spec\na: !!float 1.0\nb: !local x\n"
      "c: !<tag:yaml.org,2002:bool> yes\n...\n",
      "- a\n- b: c\n  d: e\n- [x, y: z, {k: v}]\n- ? complex\n  : value\n- ~\n-\n- 'null'\n- &a [1]\n- *a\n",
  };
  for (const auto& text : texts) {
    auto fast = load_yaml_with_libyaml(text);
    ASSERT_TRUE(fast.has_value()) << text;
    EXPECT_EQ(*fast, load_yaml_with_yaml_cpp(text)) << text;
  }
}
