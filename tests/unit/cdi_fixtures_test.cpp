// The sample specs in tests/fixtures/cdi (also meant for end-to-end tests) load, or fail, as the reference would.
#include <gtest/gtest.h>

#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/validate.h"
#include "common/cdi/spec/version.h"
#include "common/cdi/spec/write.h"
#include "common/error.h"
#include "support/test_support.h"

using namespace gpuhooks::cdi;

namespace {

std::string fixture(const std::string& name) {
  return (gpuhooks::test::source_dir() / "tests/fixtures/cdi" / name).string();
}

}  // namespace

TEST(CdiFixtures, NvidiaGeneratedSpecIsValidAtItsMinimumVersion) {
  Spec s = read_spec_file(fixture("nvidia-generated.yaml"));
  EXPECT_EQ(spec_problems(s), std::vector<SpecProblem>{});
  EXPECT_EQ(minimum_required_version(s), "0.5.0");
  EXPECT_EQ(s.devices.size(), 3u);
  EXPECT_EQ(s.edits.hooks[1].args.back(), "/usr/lib/x86_64-linux-gnu");
}

TEST(CdiFixtures, FullJsonSpecUsesEveryField) {
  Spec s = read_spec_file(fixture("spec-1.1.0-full.json"));
  EXPECT_EQ(spec_problems(s), std::vector<SpecProblem>{});
  EXPECT_EQ(minimum_required_version(s), "1.1.0");
  EXPECT_EQ(s.edits.additional_gids, (std::vector<uint32_t>{5, 44}));  // "additionalGIDs" binds case-insensitively
  EXPECT_EQ(s.devices[0].edits.device_nodes[0].file_mode, 384u);
  EXPECT_EQ(parse_spec(serialize(s, Format::kYaml), "x.yaml"), s);
}

TEST(CdiFixtures, SpecLevelEditsOnlyIsInvalid) {
  std::string f = fixture("invalid-spec-level-edits-only.yaml");
  auto problems = spec_problems(read_spec_file(f));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(describe_problem(f, problems[0]),
            "invalid CDI Spec \"" + f + "\": devices[0].containerEdits: invalid device, empty device edits");
}

TEST(CdiFixtures, EnableCmtIsAnUnknownField) {
  std::string f = fixture("invalid-enablecmt.yaml");
  try {
    read_spec_file(f);
    FAIL();
  } catch (const gpuhooks::Error& e) {
    EXPECT_EQ(std::string(e.what()), "failed to parse CDI Spec \"" + f +
                                         "\": devices[0].containerEdits.intelRdt: unknown field \"enableCMT\"");
  }
}
