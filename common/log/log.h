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
  // Hold stderr lines until a warning or error, or exit, then write them at once. For the hooks: a runtime reads
  // their stderr through a pipe, and a write per line is a measurable part of a short hook. Ignored with debug or
  // a log file, where every line goes out as it is logged (a hung hook killed by its runtime shows how far it got).
  bool buffer_stderr = false;
};

// Reads NVIDIA_CTK_DEBUG / NVIDIA_CTK_QUIET (and the deprecated NVIDIA_CDI_*) into opts where the flags left them off.
void apply_environment(Options& opts);

// Installs the default logger. Safe to call more than once (the last call wins).
void setup(const Options& opts);

// Writes out what the default logger holds (with buffer_stderr; also done at exit).
void flush();

// "true", "1", "yes", "on" (any case) -> true; "false", "0", "no", "off", "" -> false; anything else -> nullopt.
std::optional<bool> parse_bool(const std::string& text);

}  // namespace gpuhooks::log
