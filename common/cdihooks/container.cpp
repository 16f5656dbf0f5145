#include <optional>

#include "common/cdihooks/hook.h"
#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/rootfs/hook_deadline.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::cdihook {

const oci::State& Container::state() {
  if (!state_) {
    rootfs::HookStep step("reading the container state");  // a caller that never closes stdin
    state_ = oci::read_state(spec_path_, in_);
  }
  return *state_;
}

std::filesystem::path Container::root() {
  if (!root_) root_ = oci::container_root(state());  // every hook of a run asks
  return *root_;
}

std::filesystem::path Container::non_system_root() {
  auto r = root();
  const std::string refusal = "refusing to run on container root " + oci::quote(r.string());
  if (r.empty() || r == "/") throw Error(refusal);
  // The string test alone lets the host's "/" through by another name: a root that is a symlink to "/" (or to "/.."),
  // or a bind mount of it. The directory the path opens to is compared with the hook's own "/" by device and inode.
  // A root that cannot be opened is left to the hook, which fails naming it.
  std::optional<rootfs::InRoot> opened;
  try {
    opened.emplace(r);
  } catch (const Error&) {
    return r;
  }
  if (opened->is_host_root()) throw Error(refusal + ": it is the host's root directory");
  return r;
}

}  // namespace gpuhooks::cdihook
