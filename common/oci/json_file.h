#pragma once
// Reading the runtime's JSON files (the state, config.json): small, but named by whoever wrote the bundle, so the
// read is bounded and refuses what is not a regular file. Why not std::ifstream: a directory in place of the file
// opens fine and then fails inside the stream with libstdc++'s "basic_filebuf::underflow error reading the file: Is
// a directory", which names nothing; and a FIFO would block the container start (O_NONBLOCK, then the type check).
#include <nlohmann/json.hpp>
#include <string>

namespace gpuhooks::oci {

inline constexpr size_t kMaxJsonFileBytes = 16u << 20;  // state and config.json are a few KiB

// The whole file. Error("<open_what>: <strerror>") when it cannot be opened or stat'ed, and
// Error("<read_what>: <why>") for a directory, another non-regular file, a read error or more than 16 MiB.
std::string read_json_file(const std::string& path, const std::string& open_what, const std::string& read_what);

// nlohmann's message without its "[json.exception...] " tag (its text is one line: it writes control bytes as
// <U+000A>).
std::string json_error_text(const std::exception& e);

}  // namespace gpuhooks::oci
