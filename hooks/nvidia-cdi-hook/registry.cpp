#include "hook.h"

namespace gpuhooks::cdihook {

std::vector<std::unique_ptr<Hook>> all_hooks() {
  std::vector<std::unique_ptr<Hook>> hooks;
  hooks.push_back(make_create_symlinks());
  hooks.push_back(make_noop());
  return hooks;
}

}  // namespace gpuhooks::cdihook
