#include "command.h"

#include <algorithm>

namespace gpuhooks::cli {

static std::vector<Registration>& registry() {
  static std::vector<Registration> r;  // function-local: safe from static initialisation order
  return r;
}

bool register_command(const std::string& group, int order, Registrar add) {
  registry().push_back({group, order, add});
  return true;
}

std::vector<Registration> registered_commands() {
  auto r = registry();
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) {
    return a.group != b.group ? a.group < b.group : a.order < b.order;
  });
  return r;
}

}  // namespace gpuhooks::cli
