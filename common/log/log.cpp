#include "common/log/log.h"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <vector>

namespace gpuhooks::log {

std::optional<bool> parse_bool(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "1" || t == "yes" || t == "on" || t == "t") return true;
  if (t.empty() || t == "false" || t == "0" || t == "no" || t == "off" || t == "f") return false;
  return std::nullopt;
}

static bool env_flag(const char* name, const char* deprecated) {
  for (const char* n : {name, deprecated}) {
    if (const char* v = std::getenv(n)) return parse_bool(v).value_or(false);
  }
  return false;
}

void apply_environment(Options& opts) {
  opts.debug = opts.debug || env_flag("NVIDIA_CTK_DEBUG", "NVIDIA_CDI_DEBUG");
  opts.quiet = opts.quiet || env_flag("NVIDIA_CTK_QUIET", "NVIDIA_CDI_QUIET");
}

namespace {

// stderr, written in one piece when the logger flushes: at every warning or error (so they and everything before
// them go out at once, in order) and at exit. spdlog's stderr sink writes and flushes each line; under a runtime,
// whose hook stderr is a pipe, 20 "Symlinking" lines cost create-symlinks ~1.3 ms of its ~5 ms (runc, 2-core VM).
// Options::buffer_stderr says when it is used.
class DeferredStderrSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  ~DeferredStderrSink() override { flush_(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    pending_.append(line.data(), line.size());
  }
  void flush_() override {
    size_t off = 0;
    while (off < pending_.size()) {
      ssize_t n = ::write(STDERR_FILENO, pending_.data() + off, pending_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to log to: drop, never fail the hook over it
      off += static_cast<size_t>(n);
    }
    pending_.clear();
  }

 private:
  std::string pending_;
};

}  // namespace

void flush() {
  if (auto logger = spdlog::default_logger()) logger->flush();
}

void setup(const Options& opts) {
  const bool has_file = opts.file && !opts.file->empty();
  const bool buffered = opts.buffer_stderr && !opts.debug && !has_file;
  std::vector<spdlog::sink_ptr> sinks;
  if (buffered) {
    sinks.push_back(std::make_shared<DeferredStderrSink>());
  } else {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_st>());
  }
  if (has_file) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_st>(*opts.file));
    } catch (const spdlog::spdlog_ex&) {
      // An unwritable log file must not stop a container from starting; stderr still gets everything.
    }
  }
  auto logger = std::make_shared<spdlog::logger>(opts.name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %n %l: %v");
  auto level = opts.quiet ? spdlog::level::err : opts.debug ? spdlog::level::debug : spdlog::level::info;
  logger->set_level(level);
  logger->flush_on(buffered ? spdlog::level::warn : spdlog::level::trace);
  spdlog::set_default_logger(logger);
  static bool flush_registered = false;
  if (!flush_registered) {
    std::atexit(flush);  // exit() from main's return; _exit (isolated children) leaves the parent's lines alone
    flush_registered = true;
  }
}

}  // namespace gpuhooks::log
