#include "e2e/harness/cdi_driver_spec.h"

#include <nlohmann/json.hpp>

#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/fixtures.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace gpuhooks::e2e {
namespace {

json hook(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"nvidia-cdi-hook"};
  argv.insert(argv.end(), args.begin(), args.end());
  return {{"hookName", "createContainer"},
          {"path", test::built("nvidia-cdi-hook").string()},
          {"args", argv},
          {"env", {"NVIDIA_CTK_DEBUG=false"}}};
}

std::string lib_path(const std::string& name) { return std::string(kDriverSpecLibDir) + "/" + name; }

}  // namespace

DriverLibrarySpec driver_library_spec(const fs::path& driver_dir) {
  DriverLibrarySpec s;
  s.kind = unique_cdi_vendor() + "/gpu";
  s.device = s.kind + "=0";
  json edits = {{"deviceNodes",
                 {{{"path", kDriverSpecNode},
                   {"type", "c"},
                   {"major", kDriverSpecNodeMajor},
                   {"minor", kDriverSpecNodeMinor},
                   {"permissions", "rw"}}}},
                {"mounts",
                 {{{"hostPath", (driver_dir / kSimgpuFile).string()},
                   {"containerPath", lib_path(kSimgpuFile)},
                   {"options", {"ro", "nosuid", "nodev", "bind"}}}}},
                {"hooks",
                 {hook({"create-symlinks", "--link", std::string(kSimgpuFile) + "::" + lib_path(kSimgpuSoname)}),
                  hook({"update-ldcache", "--folder", kDriverSpecLibDir})}}};
  json spec = {{"cdiVersion", "0.5.0"}, {"kind", s.kind}, {"devices", {{{"name", "0"}, {"containerEdits", edits}}}}};
  s.json = spec.dump(2) + "\n";
  return s;
}

std::string driver_view_script() {
  return std::string("stat -c '%n %F %t:%T' ") + kDriverSpecNode + "; readlink " + lib_path(kSimgpuSoname) +
         "; ldconfig -p | grep libsimgpu; dlopen-probe " + kSimgpuSoname + " simgpu_driver_version";
}

std::string expected_driver_view() {
  char node[64];
  std::snprintf(node, sizeof node, "character special file %x:%x", kDriverSpecNodeMajor, kDriverSpecNodeMinor);
  return std::string(kDriverSpecNode) + " " + node + "\n" +                               // the node
         kSimgpuFile + "\n" +                                                             // the soname link
         "\t" + kSimgpuSoname + " (libc6,x86-64) => " + lib_path(kSimgpuSoname) + "\n" +  // the cache entry
         lib_path(kSimgpuSoname) + ": 550.1\n";                                           // loaded by soname
}

}  // namespace gpuhooks::e2e
