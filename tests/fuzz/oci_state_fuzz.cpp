// The OCI state a runtime writes to a hook's stdin (common/oci/state.h), and the container root it names.
#include "common/oci/state.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::fuzz::expect_no_crash([&] {
    gpuhooks::oci::State state = gpuhooks::oci::parse_state(std::string(gpuhooks::fuzz::as_text(data, size)));
    // With a "root", container_root() is pure path arithmetic; without one it reads the bundle's config.json,
    // which is the config harness's business (and a file outside the input).
    if (!state.root.empty()) (void)gpuhooks::oci::container_root(state);
  });
  return 0;
}
