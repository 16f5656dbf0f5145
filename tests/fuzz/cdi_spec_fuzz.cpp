// A CDI spec file (common/cdi/spec/): YAML or JSON through libyaml, the typed decoder, then validation. Spec files
// are written by whoever may write /etc/cdi or /var/run/cdi, and read by every hook and the CLI.
#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/validate.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::fuzz::expect_no_crash([&] {
    gpuhooks::cdi::Spec spec = gpuhooks::cdi::parse_spec(gpuhooks::fuzz::as_text(data, size), "fuzz.yaml");
    gpuhooks::cdi::validate_spec(spec, "fuzz.yaml");
  });
  return 0;
}
