#pragma once
// The CDI spec model (cdi.md §1.2, spec 1.1.0): one set of plain structs for every version, filled by the YAML/JSON
// parser (parse.h), checked by validate.h, written by write.h. Optional fields are std::optional where the reference
// distinguishes "absent" from "empty" (intelRdt {} and schemata [] both count for the minimum version).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpuhooks::cdi {

struct DeviceNode {
  std::string path;
  std::string host_path;  // 0.5.0; empty means "same as path"
  std::string type;       // "", "b", "c", "u", "p"
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::optional<uint32_t> file_mode;
  std::string permissions;  // "", "none", or letters from "rwm"
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool operator==(const DeviceNode&) const = default;
};

struct Mount {
  std::string host_path;
  std::string container_path;
  std::vector<std::string> options;
  std::string type;  // 0.4.0
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string hook_name;  // prestart, createRuntime, createContainer, startContainer, poststart, poststop
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
  bool operator==(const Hook&) const = default;
};

struct IntelRdt {  // 0.7.0; schemata and enable_monitoring 1.1.0
  std::string clos_id;
  std::string l3_cache_schema;
  std::string mem_bw_schema;
  std::optional<std::vector<std::string>> schemata;
  bool enable_monitoring = false;
  bool operator==(const IntelRdt&) const = default;
};

struct NetDevice {  // 1.1.0
  std::string host_interface_name;
  std::string name;
  bool operator==(const NetDevice&) const = default;
};

struct ContainerEdits {
  std::vector<std::string> env;
  std::vector<DeviceNode> device_nodes;
  std::vector<NetDevice> net_devices;
  std::vector<Hook> hooks;
  std::vector<Mount> mounts;
  std::optional<IntelRdt> intel_rdt;
  std::vector<uint32_t> additional_gids;
  bool empty() const {
    return env.empty() && device_nodes.empty() && net_devices.empty() && hooks.empty() && mounts.empty() &&
           !intel_rdt && additional_gids.empty();
  }
  bool operator==(const ContainerEdits&) const = default;
};

struct Device {
  std::string name;
  std::map<std::string, std::string> annotations;  // 0.6.0
  ContainerEdits edits;
  bool operator==(const Device&) const = default;
};

struct Spec {
  std::string cdi_version;
  std::string kind;                                // vendor/class
  std::map<std::string, std::string> annotations;  // 0.6.0
  std::vector<Device> devices;
  ContainerEdits edits;  // spec-level "containerEdits", applied with any device of the spec
  bool operator==(const Spec&) const = default;
};

}  // namespace gpuhooks::cdi
