#pragma once
// What the harnesses share: the input as a string, as an anonymous file, a per-process scratch directory, and the
// one rule for outcomes. A parser may reject its input with gpuhooks::Error (or another std::exception, e.g.
// nlohmann's type errors it wraps); anything else (a crash, a sanitizer report, an exception of another type, a
// timeout or a runaway allocation) is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `f`; an Error or std::exception is an expected rejection of the input.
template <typename F>
void expect_no_crash(F&& f) {
  try {
    f();
  } catch (const gpuhooks::Error&) {
  } catch (const std::exception&) {
  }
}

// The input as an anonymous file (memfd): parsers that take an fd or a path (/proc/self/fd/N) read it as a file,
// without touching the disk.
inline UniqueFd memory_file(std::string_view bytes) {
  UniqueFd fd(::memfd_create("fuzz-input", MFD_CLOEXEC));
  if (!fd.valid()) std::abort();
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  return fd;
}

// One scratch directory per process, made on first use and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gpuhooks-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    static std::filesystem::path made = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(made, ec);
    });
    return made;
  }();
  return dir;
}

// The input cut at each '\0' byte: harnesses that need several strings (env entries, files) take them this way,
// so a mutation can add, drop or change one part.
inline std::vector<std::string> split_parts(std::string_view text, char separator = '\0') {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace gpuhooks::fuzz
