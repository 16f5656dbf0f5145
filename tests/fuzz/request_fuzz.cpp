// What a container asks the prestart hook for (common/request/request.h): the NVIDIA_VISIBLE_DEVICES grammar, the
// capabilities, MIG and IMEX requests, the volume-mount form. The image and its user choose all of it. The input:
// a first byte of option bits, then parts cut at '\0': "KEY=VALUE" is an environment entry, "@DEST" a mount
// destination, "+CAP" a bounding capability, "%VALUE" the nvidia.com/gpus annotation.
#include "common/oci/gpus_annotation.h"
#include "common/request/request.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t bits = data[0];
  gpuhooks::request::RequestOptions options;
  options.accept_envvar_unprivileged = (bits & 1) != 0;
  options.accept_volume_mounts = (bits & 2) != 0;
  options.disable_require = (bits & 4) != 0;
  options.ignore_imex_channel_requests = (bits & 8) != 0;
  if (bits & 16) options.swarm_resource = {"DOCKER_RESOURCE_GPU", " NVIDIA_SWARM ", ""};
  if (bits & 32) options.supported_capabilities = {"compute", "utility"};
  gpuhooks::oci::ContainerConfig config;
  config.oci_version = "1.0.2";
  if (bits & 64) config.bounding_capabilities.push_back("CAP_SYS_ADMIN");
  for (const auto& part : gpuhooks::fuzz::split_parts(gpuhooks::fuzz::as_text(data + 1, size - 1))) {
    if (part.starts_with('@')) {
      config.mounts.push_back({part.substr(1), "/dev/null", "bind", {"ro"}});
    } else if (part.starts_with('+')) {
      config.bounding_capabilities.push_back(part.substr(1));
    } else if (part.starts_with('%')) {
      config.annotations[std::string(gpuhooks::oci::kGpusAnnotation)] = part.substr(1);
    } else if (auto eq = part.find('='); eq != std::string::npos) {
      config.env[part.substr(0, eq)] = part.substr(eq + 1);
    }
  }
  gpuhooks::fuzz::expect_no_crash([&] { (void)gpuhooks::request::read_request(config, options); });
  return 0;
}
