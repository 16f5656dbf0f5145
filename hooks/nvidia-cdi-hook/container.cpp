#include "common/error.h"
#include "hook.h"

namespace gpuhooks::cdihook {

const oci::State& Container::state() {
  if (!state_) state_ = oci::read_state(spec_path_, in_);
  return *state_;
}

std::filesystem::path Container::root() { return oci::container_root(state()); }

std::filesystem::path Container::non_system_root() {
  auto r = root();
  if (r.empty() || r == "/") throw Error("refusing to run on container root \"" + r.string() + "\"");
  return r;
}

}  // namespace gpuhooks::cdihook
