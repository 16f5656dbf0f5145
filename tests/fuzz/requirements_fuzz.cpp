// NVIDIA_REQUIRE_* values (common/request/requirements.h): the image's environment, checked against the host.
// Parts cut at '\0' are separate values; two hosts, so a value that holds on one is evaluated further on the other.
#include "common/request/requirements.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> values = gpuhooks::fuzz::split_parts(gpuhooks::fuzz::as_text(data, size));
  static const gpuhooks::request::HostFacts kHosts[] = {
      {"12.4", "550.54.15", "tesla", {"9.0", "8.0"}},
      {"", "", "", {}},
  };
  for (const auto& host : kHosts)
    gpuhooks::fuzz::expect_no_crash([&] { gpuhooks::request::check_requirements(values, host); });
  return 0;
}
