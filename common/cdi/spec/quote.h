#pragma once
// Go's %q (strconv.Quote): the reference's error texts quote names and values this way, and so do ours, so that a
// message reads the same whichever implementation printed it.
#include <string>
#include <string_view>

namespace gpuhooks::cdi {

std::string go_quote(std::string_view s);

// Go's '%c' of the rune starting at s[i] (the UTF-8 sequence, or the replacement char for a bad byte); advances i.
std::string next_rune(std::string_view s, size_t& i);

}  // namespace gpuhooks::cdi
