#pragma once
// A createContainer hook subcommand of nvidia-cdi-hook. Each lives in its own file, declares its flags on a CLI11
// app, and runs against the container found through the OCI state. Errors are thrown as gpuhooks::Error and printed
// once by main.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/oci/state.h"

namespace gpuhooks::cdihook {

// Where a hook finds its container: the state (stdin, or --container-spec) read once, on first use, so hooks that
// turn out to have nothing to do never read stdin (the reference's enable-cuda-compat does the same).
class Container {
 public:
  explicit Container(std::string spec_path, std::istream& in = std::cin) : spec_path_(std::move(spec_path)), in_(in) {}
  const oci::State& state();
  std::filesystem::path root();  // the container root as a host path (config.json read once per run)
  // root(), refusing "", "/" and any path that opens to the host's own "/" (same device and inode: a symlink to "/",
  // a bind mount of it), for hooks that must never act on the host's root.
  std::filesystem::path non_system_root();

 private:
  std::string spec_path_;
  std::istream& in_;
  std::optional<oci::State> state_;
  std::optional<std::filesystem::path> root_;
};

class Hook {
 public:
  virtual ~Hook() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual bool hidden() const { return false; }
  virtual void add_options(CLI::App& app) = 0;
  // Called after parsing; throws Error for invalid flag combinations (exit 1).
  virtual void validate() {}
  virtual void run(Container& container) = 0;
};

// Every subcommand in the reference's registration order (nvidia-hooks.md §1.1).
std::vector<std::unique_ptr<Hook>> all_hooks();

std::unique_ptr<Hook> make_update_ldcache();
std::unique_ptr<Hook> make_create_symlinks();
std::unique_ptr<Hook> make_chmod();
std::unique_ptr<Hook> make_enable_cuda_compat();
std::unique_ptr<Hook> make_disable_device_node_modification();
std::unique_ptr<Hook> make_update_application_profile();
std::unique_ptr<Hook> make_noop();

}  // namespace gpuhooks::cdihook
