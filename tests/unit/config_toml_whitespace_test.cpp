// config.toml text with non-ASCII code points where toml++ 3.3.0's whitespace table had no answer
// (common/config/toml_include.h): each is read or rejected as TOML says, never undefined behaviour. Under the
// sanitizer build (scripts/test --sanitize) the unfixed table fails these tests with "execution reached an
// unreachable program point".
#include <gtest/gtest.h>

#include "common/config/hook_config.h"
#include "support/test_support.h"

using gpuhooks::config::parse_hook_config;
using gpuhooks::test::error_of;

TEST(ConfigTomlWhitespace, ANonAsciiBareValueIsASyntaxError) {
  // U+013A and U+2E80: from two of the three blocks the generated table had no case for.
  for (const char* text : {"disable-require = \xc4\xba\n", "disable-require = \xe2\xba\x80\n"})
    EXPECT_NE(error_of([&] { parse_hook_config(text, "config.toml"); }).find("config.toml:1:"), std::string::npos)
        << text;
}

TEST(ConfigTomlWhitespace, ANonAsciiCharacterAfterALineEndingBackslashIsKept) {
  // A multi-line string's line-ending backslash trims the whitespace that follows; U+00A7 is not whitespace.
  EXPECT_EQ(parse_hook_config("[nvidia-container-cli]\nuser = \"\"\"\\\n\xc2\xa7\"\"\"\n", "config.toml").cli.user,
            "\xc2\xa7");
}

TEST(ConfigTomlWhitespace, TheIdeographicSpaceIsStillNonAsciiWhitespace) {
  // U+3000 sits in the second block but is whitespace; TOML does not allow it between tokens.
  EXPECT_NE(
      error_of([] { parse_hook_config("disable-require\xe3\x80\x80= true\n", "config.toml"); }).find("config.toml:1:"),
      std::string::npos);
}
