// Logging setup (common/log/log.h): what reaches stderr, when, and in what order.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/log/log.h"
#include "support/test_support.h"

using namespace gpuhooks;
using gpuhooks::test::TempDir;

namespace {

// Points fd 2 at a file for the test's lifetime; the test reads what was written there.
class StderrToFile {
 public:
  explicit StderrToFile(const std::filesystem::path& file) : saved_(::dup(STDERR_FILENO)) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrToFile() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }

 private:
  int saved_;
};

log::Options options(bool debug = false, bool quiet = false, bool buffered = true) {
  log::Options o;
  o.name = "unit";
  o.debug = debug;
  o.quiet = quiet;
  o.buffer_stderr = buffered;
  return o;
}

}  // namespace

TEST(LogSetup, InfoLinesAreHeldUntilAFlushThenWrittenInOrder) {
  TempDir dir;
  StderrToFile capture(dir / "stderr");
  log::setup(options());
  spdlog::info("first");
  spdlog::info("second");
  EXPECT_EQ(test::read_file(dir / "stderr"), "");
  log::flush();
  auto text = test::read_file(dir / "stderr");
  ASSERT_NE(text.find("unit info: first\n"), std::string::npos) << text;
  EXPECT_LT(text.find("first"), text.find("second"));
}

TEST(LogSetup, AWarningGoesOutAtOnceWithEverythingBeforeIt) {
  TempDir dir;
  StderrToFile capture(dir / "stderr");
  log::setup(options());
  spdlog::info("before");
  spdlog::warn("careful");
  auto text = test::read_file(dir / "stderr");
  ASSERT_NE(text.find("unit warning: careful\n"), std::string::npos) << text;
  EXPECT_LT(text.find("before"), text.find("careful"));
  log::flush();
  EXPECT_EQ(test::read_file(dir / "stderr"), text) << "nothing is written twice";
}

TEST(LogSetup, QuietKeepsOnlyErrorsAndDebugAddsDebugLines) {
  TempDir dir;
  StderrToFile capture(dir / "stderr");
  log::setup(options(/*debug=*/true, /*quiet=*/true));  // --quiet beats --debug
  spdlog::warn("dropped");
  spdlog::error("kept");
  log::setup(options(/*debug=*/true));
  spdlog::debug("detail");
  log::flush();
  auto text = test::read_file(dir / "stderr");
  EXPECT_EQ(text.find("dropped"), std::string::npos) << text;
  EXPECT_NE(text.find("unit error: kept"), std::string::npos) << text;
  EXPECT_NE(text.find("unit debug: detail"), std::string::npos) << text;
}

// Where lines must survive a hook that hangs and is killed, each goes out as it is logged: without buffering
// (the admin CLI), with --debug, and with a log file.
TEST(LogSetup, UnbufferedDebugAndLogFileRunsWriteEachLineAtOnce) {
  TempDir dir;
  StderrToFile capture(dir / "stderr");
  log::setup(options(false, false, /*buffered=*/false));
  spdlog::info("plain");
  EXPECT_NE(test::read_file(dir / "stderr").find("unit info: plain"), std::string::npos);
  log::setup(options(/*debug=*/true));
  spdlog::debug("traced");
  EXPECT_NE(test::read_file(dir / "stderr").find("unit debug: traced"), std::string::npos);
  auto o = options();
  o.file = (dir / "hook.log").string();
  log::setup(o);
  spdlog::info("to both");
  EXPECT_NE(test::read_file(dir / "hook.log").find("unit info: to both"), std::string::npos);
  EXPECT_NE(test::read_file(dir / "stderr").find("unit info: to both"), std::string::npos);
}

TEST(LogSetup, EnvironmentBooleansFollowTheReferenceSpelling) {
  EXPECT_EQ(log::parse_bool("TRUE"), true);
  EXPECT_EQ(log::parse_bool("on"), true);
  EXPECT_EQ(log::parse_bool(""), false);
  EXPECT_EQ(log::parse_bool("0"), false);
  EXPECT_EQ(log::parse_bool("maybe"), std::nullopt);
}
