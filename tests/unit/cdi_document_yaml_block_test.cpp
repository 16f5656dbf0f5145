// The block-YAML fast path (document_yaml_block.cpp): reads the block style spec generators write, exactly as libyaml
// reads it, and leaves everything else to libyaml.
#include <gtest/gtest.h>

#include <random>

#include "common/cdi/document_yaml_front_ends.h"
#include "common/cdi/write.h"

using namespace gpuhooks::cdi;

namespace {

Spec generator_shaped_spec() {
  Spec s;
  s.cdi_version = "0.5.0";
  s.kind = "nvidia.com/gpu";
  s.edits.env = {"NVIDIA_VISIBLE_DEVICES=void"};
  s.edits.device_nodes = {{"/dev/nvidiactl", "/dev/nvidiactl"}};
  std::string lib = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15";
  s.edits.mounts.push_back({lib, lib, {"ro", "nosuid", "nodev", "bind"}, ""});
  std::vector<std::string> args = {"nvidia-cdi-hook", "create-symlinks", "--link", "libcuda.so.1::/usr/lib/libcuda.so"};
  s.edits.hooks.push_back({"createContainer", "/usr/bin/nvidia-cdi-hook", args, {}, {}});
  Device d;
  d.name = "0";
  d.edits.device_nodes.push_back({"/dev/nvidia0", "/dev/nvidia0"});
  s.devices.push_back(d);
  return s;
}

const char* const kBlockText =
    "---\n"
    "a:\n- x\nb: 1\nc:\n  - y\n  - z: 1\n    w:\n    - q\n  - 'single'\n  - \"double\"\nd: ~\ne:\nf: null\n"
    "g:\n- k: --link\n  l: a:b::c\n-   m: n\n";

}  // namespace

TEST(CdiDocumentYamlBlock, ReadsWhatTheSpecWriterWritesAsLibyamlDoes) {
  std::string text = serialize(generator_shaped_spec(), Format::kYaml);
  auto fast = load_block_yaml_subset(text);
  ASSERT_TRUE(fast.has_value()) << text;
  EXPECT_EQ(*fast, *load_yaml_with_libyaml(text));
}

TEST(CdiDocumentYamlBlock, ReadsIndentlessAndCompactBlockCollectionsAsLibyamlDoes) {
  auto fast = load_block_yaml_subset(kBlockText);
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(*fast, *load_yaml_with_libyaml(kBlockText));
}

TEST(CdiDocumentYamlBlock, LeavesEverythingOutsideTheSubsetToLibyaml) {
  for (const char* text : {"a: 1 # comment\n", "a:\t1\n", "a: [x, y]\n", "a: {b: c}\n", "a: &x 1\nb: *x\n",
                           "a: !!str 1\n", "a: |\n  text\n", "a: plain\n  continued\n", "a: \"esc\\n\"\n",
                           "a: 'it''s'\n", "a: caf\xc3\xa9\n", "a: 1\r\n", "a: 1 \n", "\"a\": 1\n", "? a\n: 1\n",
                           "a: 1\n---\nb: 2\n", "a: @x\n", "- - a\n", "scalar\n", "", "  a: 1\n"})
    EXPECT_FALSE(load_block_yaml_subset(text).has_value()) << text;
}

TEST(CdiDocumentYamlBlock, TextLibyamlRejectsIsNotAccepted) {
  for (const char* text : {"a: b: c\n", "a: 1\n  b: 2\n", "a:\n  b: 1\n c: 2\n", "- a\nb: 1\n", "a: 1\n- b\n",
                           "a: x:\n"}) {
    ASSERT_FALSE(load_yaml_with_libyaml(text).has_value()) << text;
    EXPECT_FALSE(load_block_yaml_subset(text).has_value()) << text;
  }
}

TEST(CdiDocumentYamlBlock, AgreesWithLibyamlOnMutatedSpecText) {
  const std::vector<std::string> seeds = {serialize(generator_shaped_spec(), Format::kYaml), kBlockText};
  const std::string alphabet = "  \n\n--::ab01'\"~.,/@%_=+^#\tx";
  std::mt19937 rng(20240601);  // fixed: the same texts on every run
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    for (int m = 1 + rng() % 4; m > 0; --m) {
      size_t pos = rng() % (text.size() + 1);
      if (rng() % 2 == 0 && pos < text.size()) text.erase(pos, 1 + rng() % 3);
      else text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
    }
    auto fast = load_block_yaml_subset(text);
    if (!fast) continue;
    ++accepted;
    auto reference = load_yaml_with_libyaml(text);
    ASSERT_TRUE(reference.has_value()) << text;
    ASSERT_EQ(*fast, *reference) << text;
  }
  EXPECT_GT(accepted, 1000);  // enough mutated texts stay inside the subset for the comparison to mean something
}
