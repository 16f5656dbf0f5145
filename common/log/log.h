#pragma once
// Logging for every executable: spdlog to stderr (stdout belongs to the runtime and to command output), plus an
// optional log file. Level: --quiet beats --debug; the NVIDIA_CTK_* variables are the reference's names.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

namespace gpuhooks::log {

struct Options {
  bool debug = false;
  bool quiet = false;
  std::optional<std::string> file;  // appended to, when set
  std::string name = "gpuhooks";
};

// Reads NVIDIA_CTK_DEBUG / NVIDIA_CTK_QUIET (and the deprecated NVIDIA_CDI_*) into opts where the flags left them off.
void apply_environment(Options& opts);

// Installs the default logger. Safe to call more than once (the last call wins). Lines reach stderr at each
// warning or error and at exit (or flush()); a log file gets them at the same points.
void setup(const Options& opts);

// Writes out what the default logger holds.
void flush();

// "true", "1", "yes", "on" (any case) -> true; "false", "0", "no", "off", "" -> false; anything else -> nullopt.
std::optional<bool> parse_bool(const std::string& text);

}  // namespace gpuhooks::log
