#include "common/discovery/capability.h"

#include <map>

namespace gpuhooks::discovery {

const std::vector<Capability>& all_capabilities() {
  static const std::vector<Capability> all = {Capability::kUtility,  Capability::kCompute, Capability::kVideo,
                                              Capability::kGraphics, Capability::kDisplay, Capability::kNgx,
                                              Capability::kCompat32};
  return all;
}

std::string_view capability_name(Capability c) {
  switch (c) {
    case Capability::kUtility: return "utility";
    case Capability::kCompute: return "compute";
    case Capability::kVideo: return "video";
    case Capability::kGraphics: return "graphics";
    case Capability::kDisplay: return "display";
    case Capability::kNgx: return "ngx";
    case Capability::kCompat32: return "compat32";
  }
  return "?";
}

std::optional<Capability> parse_capability(std::string_view name) {
  for (Capability c : all_capabilities()) {
    if (capability_name(c) == name) return c;
  }
  return std::nullopt;
}

const CapabilityFiles& capability_files(Capability c) {
  // libnvidia-container.md A.1.2 (src/nvc_info.c, newest), one list per capability. video and display bring the
  // compute and graphics lists in libnvidia-container's flag mapping (A.1.1); callers expand that themselves.
  static const std::map<Capability, CapabilityFiles> files = {
      {Capability::kUtility,
       {{"libnvidia-ml.so", "libnvidia-cfg.so", "libnvidia-nscq.so"},
        {},
        {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nv-fabricmanager", "nvidia-imex",
         "nvidia-imex-ctl"}}},
      {Capability::kCompute,
       {{"libcuda.so", "libcudadebugger.so", "libnvidia-opencl.so", "libnvidia-gpucomp.so",
         "libnvidia-ptxjitcompiler.so", "libnvidia-fatbinaryloader.so", "libnvidia-allocator.so",
         "libnvidia-compiler.so", "libnvidia-pkcs11.so", "libnvidia-pkcs11-openssl3.so", "libnvidia-nvvm.so",
         "libnvidia-tileiras.so"},
        {"libnvidia-nvvm70.so"},  // nvidia-hooks.md §3.2: mounted whatever its version
        {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server"}}},
      {Capability::kVideo,
       {{"libvdpau_nvidia.so", "libnvidia-encode.so", "libnvidia-opticalflow.so", "libnvcuvid.so"}, {}, {}}},
      {Capability::kGraphics,
       {{"libnvidia-eglcore.so", "libnvidia-glcore.so", "libnvidia-tls.so", "libnvidia-glsi.so", "libnvidia-fbc.so",
         "libnvidia-ifr.so", "libnvidia-rtcore.so", "libnvoptix.so", "libGLX_nvidia.so", "libEGL_nvidia.so",
         "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so", "libnvidia-glvkspirv.so", "libnvidia-cbl.so",
         "libnvidia-vulkan-producer.so"},
        {"libnvidia-egl-gbm.so", "libnvidia-egl-wayland.so", "libnvidia-egl-wayland2.so", "libnvidia-egl-xcb.so",
         "libnvidia-egl-xlib.so"},
        {}}},
      {Capability::kDisplay, {{}, {}, {"nvidia-xconfig"}}},
      {Capability::kNgx, {{"libnvidia-ngx.so"}, {}, {}}},
      {Capability::kCompat32, {{}, {}, {}}},
  };
  return files.at(c);
}

}  // namespace gpuhooks::discovery
