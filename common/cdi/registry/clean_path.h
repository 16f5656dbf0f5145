#pragma once
// Go's filepath.Clean, lexically: the reference cleans spec dirs with it and orders mounts by the number of '/' in
// the cleaned destination (cdi.md §3.1, §4.7).
#include <string>
#include <string_view>

namespace gpuhooks::cdi {

std::string clean_path(std::string_view path);

}  // namespace gpuhooks::cdi
