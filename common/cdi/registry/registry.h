#pragma once
// The spec registry (the reference's Cache, cdi.md §3): spec dirs in priority order (later wins), each scanned once,
// not recursively; `.json`/`.yaml` files in name order, one after another (threads did not pay on 2 cores), each
// parsed once and validated. A bad file records its own errors and never hides the good ones. Devices are looked up
// by exact qualified name.
//
// No watching or auto-refresh: a hook or CLI process lives for one lookup, so it reads the dirs when it starts.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

struct LoadedSpec {
  std::string path;  // dir + "/" + file name, dir cleaned
  int priority = 0;  // index of its dir in the dir list
  std::string vendor;
  std::string class_name;
  Spec spec;
};

struct DeviceRef {
  const LoadedSpec* spec = nullptr;
  const Device* device = nullptr;
};

struct RegistryError {
  std::string path;  // the spec file, or the dir for a dir error
  std::string message;
  bool operator==(const RegistryError&) const = default;
};

class Registry {
 public:
  static const std::vector<std::string>& default_spec_dirs();  // /etc/cdi, /var/run/cdi

  explicit Registry(std::vector<std::string> spec_dirs = default_spec_dirs());
  Registry(Registry&&) = default;
  Registry& operator=(Registry&&) = default;

  const std::vector<std::string>& spec_dirs() const { return dirs_; }
  std::optional<DeviceRef> find(std::string_view qualified_name) const;
  std::vector<std::string> device_names() const;                                    // sorted
  const std::vector<std::unique_ptr<LoadedSpec>>& specs() const { return specs_; }  // scan order

  // Dir errors first, then per-file errors (read, parse, validation, conflicts) in scan order.
  const std::vector<RegistryError>& errors() const { return errors_; }
  std::vector<std::string> errors_for(std::string_view path) const;

 private:
  struct FileJob {
    std::string path;
    int priority;
  };
  void list_dir(const std::string& dir, int priority, std::vector<FileJob>& jobs);
  void load_files(const std::vector<FileJob>& jobs);
  void index_devices();

  struct Entry {
    DeviceRef ref;
    int priority;
  };
  std::vector<std::string> dirs_;
  std::vector<std::unique_ptr<LoadedSpec>> specs_;
  std::unordered_map<std::string, Entry> devices_;
  std::vector<RegistryError> errors_;
};

}  // namespace gpuhooks::cdi
