// config.toml of the prestart hook (common/config/hook_config.h), through toml++: root's file, but -config and
// NVIDIA_CTK_CONFIG_FILE_PATH may name another.
#include "common/config/hook_config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::fuzz::expect_no_crash(
      [&] { (void)gpuhooks::config::parse_hook_config(gpuhooks::fuzz::as_text(data, size), "config.toml"); });
  return 0;
}
