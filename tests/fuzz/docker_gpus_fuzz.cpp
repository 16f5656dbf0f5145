// Docker's `--gpus` value (common/cdi/docker/docker_gpus.h): the CLI's CSV option, the device IDs and CDI names it
// becomes, and dockerd's CDI-first decision against a registry holding nvidia.com/gpu=0, =1 and =all.
#include <fstream>

#include "common/cdi/docker/docker_gpus.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gpuhooks::cdi::Registry registry = [] {
    std::filesystem::path dir = gpuhooks::fuzz::scratch_dir() / "cdi";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "nvidia.yaml") << "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
                                          "- {name: '0', containerEdits: {env: [G=0]}}\n"
                                          "- {name: '1', containerEdits: {env: [G=1]}}\n"
                                          "- {name: all, containerEdits: {env: [G=all]}}\n";
    return gpuhooks::cdi::Registry({dir.string()});
  }();
  gpuhooks::fuzz::expect_no_crash([&] {
    gpuhooks::cdi::DeviceRequest request = gpuhooks::cdi::parse_gpus_option(gpuhooks::fuzz::as_text(data, size));
    for (const auto& id : gpuhooks::cdi::requested_device_ids(request)) (void)gpuhooks::cdi::cdi_name_for_gpu(id);
    (void)gpuhooks::cdi::decide_gpus(request, registry);
  });
  return 0;
}
