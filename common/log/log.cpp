#include "common/log/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cctype>
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

void setup(const Options& opts) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_st>()};
  if (opts.file && !opts.file->empty()) {
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
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace gpuhooks::log
