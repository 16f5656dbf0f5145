// CDI under podman 4.3 (issue 3): a spec of ours in /etc/cdi gives a `podman run --device <kind>=0` container the
// device node, the driver library, its soname link and its ld.so.cache entry, by running our nvidia-cdi-hook as the
// spec's createContainer hooks; a device no spec defines stops the run before anything starts.
#include <gtest/gtest.h>

#include "e2e/harness/cdi_driver_spec.h"
#include "e2e/harness/fixtures.h"
#include "e2e/harness/podman.h"

namespace gpuhooks::e2e {
namespace {

// dlopen-probe into the container without touching the shared image.
std::vector<std::string> probe_volume() { return {"-v", dlopen_probe().string() + ":/usr/bin/dlopen-probe:ro"}; }

TEST(CdiPodman, ADeviceFromOurSpecGivesTheNodeTheLibraryItsSonameLinkAndItsCacheEntry) {
  test::TempDir host;
  const auto spec = driver_library_spec(make_simgpu_driver_dir(host.path()));
  InstalledCdiSpec installed(spec.json);
  std::vector<std::string> options = probe_volume();
  options.insert(options.end(), {"--device", spec.device});
  auto r = shared_podman().run(options, {"/bin/sh", "-c", driver_view_script()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected_driver_view());
}

TEST(CdiPodman, WithoutTheDeviceTheContainerHasNoneOfIt) {
  // The counter-check: the same image and script, no --device, show nothing of the spec's edits.
  test::TempDir host;
  const auto spec = driver_library_spec(make_simgpu_driver_dir(host.path()));
  InstalledCdiSpec installed(spec.json);
  auto r = shared_podman().run(probe_volume(), {"/bin/sh", "-c", driver_view_script() + "; echo exit=$?"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "exit=1\n");
}

TEST(CdiPodman, AnUnknownDeviceIsUnresolvableAndRunsNothing) {
  test::TempDir host;
  const auto spec = driver_library_spec(make_simgpu_driver_dir(host.path()));
  InstalledCdiSpec installed(spec.json);
  const std::string unknown = spec.kind + "=7";
  auto r = shared_podman().run({"--device", unknown}, {"/bin/sh", "-c", "echo container-ran"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unresolvable CDI devices " + unknown), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gpuhooks::e2e
