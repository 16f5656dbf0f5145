#pragma once
// Driving the built `gpuhooks cdi ...` admin CLI from end-to-end tests: run a subcommand, inject CDI devices into a
// bundle so that the Bundle's own model matches what was written, and kinds no real or concurrent spec uses.
#include <filesystem>
#include <string>
#include <vector>

#include "e2e/harness/bundle.h"
#include "support/test_support.h"

namespace gpuhooks::e2e {

// gpuhooks <args...> (test::executable: built, or installed) with a fixed minimal environment (no NVIDIA_CTK_* variable
// leaks in from the caller: `cdi generate` reads several of them as flag defaults).
test::RunResult run_gpuhooks(const std::vector<std::string>& args);

// `gpuhooks cdi inject --spec-dir <spec_dir> --device <d>... --bundle <bundle dir>` on the bundle's config.json as
// written now. On success the bundle's in-memory config becomes the injected file, so a later run_runc (which writes
// the model back) runs exactly what inject produced. On failure the model is left alone.
test::RunResult inject_cdi_devices(Bundle& bundle, const std::filesystem::path& spec_dir,
                                   const std::vector<std::string>& devices);

// A CDI vendor no other spec on this machine uses: gpuhooks-test-<pid>-<counter>.example. Podman resolves every
// spec in /etc/cdi together, so a kind shared with a real or another test's spec would make devices conflict.
std::string unique_cdi_vendor();

}  // namespace gpuhooks::e2e
