#pragma once
// One error type for everything a user can act on. The message is complete (what, where, why); it is printed once,
// at the boundary (a hook's main), as a single line.
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gpuhooks {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "what: strerror(errno)" for a failed system call; errno is read at the call.
inline Error sys_error(const std::string& what, int err = errno) { return Error(what + ": " + std::strerror(err)); }

}  // namespace gpuhooks
