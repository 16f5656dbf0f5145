#include "common/cdihooks/hook.h"

namespace gpuhooks::cdihook {

std::vector<std::unique_ptr<Hook>> all_hooks() {
  std::vector<std::unique_ptr<Hook>> hooks;
  hooks.push_back(make_update_ldcache());
  hooks.push_back(make_create_symlinks());
  hooks.push_back(make_chmod());
  hooks.push_back(make_enable_cuda_compat());
  hooks.push_back(make_disable_device_node_modification());
  hooks.push_back(make_update_application_profile());
  hooks.push_back(make_noop());
  return hooks;
}

}  // namespace gpuhooks::cdihook
