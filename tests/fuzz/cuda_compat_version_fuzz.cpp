// The versions enable-cuda-compat compares (common/cdihooks/enable_cuda_compat_version.h): --host-driver-version,
// --host-cuda-version, the libcuda.so.<version> file name and the note's CUDA version. Four parts cut at '\0'.
#include "common/cdihooks/enable_cuda_compat_version.h"
#include "tests/fuzz/fuzz_support.h"

using gpuhooks::cdihook::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = gpuhooks::fuzz::split_parts(gpuhooks::fuzz::as_text(data, size));
  parts.resize(4);
  gpuhooks::fuzz::expect_no_crash([&] {
    gpuhooks::cdihook::CompatInputs in;
    in.host_driver = Version::parse(parts[0]);
    in.host_cuda = parts[1].empty() ? std::nullopt : Version::parse(parts[1]);
    in.compat_driver = Version::parse(parts[2]);
    if (!parts[3].empty()) in.note = gpuhooks::cdihook::CudaCompatNote{parts[3], {535, 550, 570}};
    if (in.host_driver && in.compat_driver) {
      (void)(*in.host_driver <=> *in.compat_driver);
      (void)(*in.host_driver == *in.compat_driver);
    }
    (void)gpuhooks::cdihook::use_compat_libraries(in);
  });
  return 0;
}
