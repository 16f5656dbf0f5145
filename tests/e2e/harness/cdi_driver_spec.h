#pragma once
// The hand-written CDI spec of the CDI end-to-end tests (issue 3): device "0" of a test-unique kind gives a device
// node, one driver library from a simulated driver directory (fixtures.h's libsimgpu), and the two createContainer
// hooks a generated spec would add for it: create-symlinks for the soname link and update-ldcache for its folder,
// both calling our built nvidia-cdi-hook with env ["NVIDIA_CTK_DEBUG=false"] (nvidia-hooks.md §1.10).
// cdiVersion 0.5.0: podman 4.3's vendored CDI library ignores newer specs (runtimes.md §2c).
#include <filesystem>
#include <string>

namespace gpuhooks::e2e {

// Where the library lands in the container: a folder that is not in the loader's default search path, so only an
// ld.so.cache entry made by update-ldcache lets the library be found by soname.
inline constexpr const char* kDriverSpecLibDir = "/usr/local/simgpu/lib64";
inline constexpr const char* kDriverSpecNode = "/dev/nvidia0";
inline constexpr int kDriverSpecNodeMajor = 195;
inline constexpr int kDriverSpecNodeMinor = 0;

struct DriverLibrarySpec {
  std::string kind;    // <unique vendor>/gpu
  std::string device;  // kind + "=0"
  std::string json;    // the spec file's text
};

// The spec for the library in `driver_dir` (made by make_simgpu_driver_dir), with a kind unique to this call.
DriverLibrarySpec driver_library_spec(const std::filesystem::path& driver_dir);

// What the container runs to show its view of the device (needs dlopen-probe at /usr/bin/dlopen-probe), and what it
// must print when the device was injected: the node, the soname link, the ld.so.cache entry and the library loaded
// by soname through that cache.
std::string driver_view_script();
std::string expected_driver_view();

}  // namespace gpuhooks::e2e
