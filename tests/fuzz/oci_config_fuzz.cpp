// A bundle's config.json (common/oci/container_config.h): written by whoever starts the container.
#include "common/oci/container_config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::fuzz::expect_no_crash([&] {
    gpuhooks::oci::ContainerConfig config =
        gpuhooks::oci::parse_container_config(gpuhooks::fuzz::as_text(data, size), "config.json");
    (void)config.privileged();
    for (const auto& [key, value] : config.env) (void)gpuhooks::oci::quote(key + "=" + value);
  });
  return 0;
}
