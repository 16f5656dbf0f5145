// The same CDI spec as cdi_podman_test, applied by `gpuhooks cdi inject` to a bundle's config.json and run with
// plain `runc run` (issue 3): the container's view matches podman's; an unknown device fails the injection, leaves
// config.json as it was, and so nothing runs.
#include <gtest/gtest.h>

#include "e2e/harness/bundle.h"
#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/cdi_driver_spec.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/runc.h"

namespace gpuhooks::e2e {
namespace {

// A bundle that shows its view of the device, and a private spec dir holding the spec for it.
struct DriverBundle {
  Bundle bundle;
  std::filesystem::path spec_dir = bundle.scratch("cdi");
  DriverLibrarySpec spec = driver_library_spec(make_simgpu_driver_dir(bundle.scratch("host")));

  DriverBundle() {
    test::write_file(spec_dir / "driver.json", spec.json);
    bundle.copy_in(dlopen_probe(), "/usr/bin/dlopen-probe");
    bundle.shell(driver_view_script());
  }
};

TEST(CdiInjectRunc, AnInjectedDeviceGivesTheNodeTheLibraryItsSonameLinkAndItsCacheEntry) {
  DriverBundle s;
  auto inject = inject_cdi_devices(s.bundle, s.spec_dir, {s.spec.device});
  ASSERT_EQ(inject.exit_code, 0) << inject.err;
  auto r = run_runc(s.bundle);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected_driver_view());
}

TEST(CdiInjectRunc, AnUnknownDeviceIsUnresolvableAndLeavesConfigJsonUnchanged) {
  DriverBundle s;
  s.bundle.write_config();
  const std::string before = test::read_file(s.bundle.config_path());
  const std::string unknown = s.spec.kind + "=7";
  auto r = inject_cdi_devices(s.bundle, s.spec_dir, {s.spec.device, unknown});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unresolvable CDI devices " + unknown), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(s.bundle.config_path()), before);
}

}  // namespace
}  // namespace gpuhooks::e2e
