#pragma once
// An OCI bundle for one test: a fresh busybox rootfs and a config.json that starts from `runc spec`'s defaults
// (runtimes.md §1a) with the changes every test wants (no terminal, writable root), plus builders for what tests add:
// the process, hooks per stage, device nodes with their cgroup allow rule, bind mounts.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace gpuhooks::e2e {

enum class Stage { kPrestart, kCreateRuntime, kCreateContainer, kStartContainer, kPoststart, kPoststop };
std::string stage_name(Stage stage);  // the config.json key: "createContainer", ...

struct Hook {
  std::string path;
  std::vector<std::string> args;
  // Unset: no "env" key, so the runtime hands the hook its own environment. Set (even empty): exactly this list.
  std::optional<std::vector<std::string>> env;
};

// An nvidia-cdi-hook createContainer hook exactly as a CDI spec emits it (nvidia-hooks.md §1.10): path = our built
// binary, args = ["nvidia-cdi-hook", <name>, ...], env = ["NVIDIA_CTK_DEBUG=false"] (the CVE-2025-23266 fix).
Hook cdi_hook(const std::string& name, const std::vector<std::string>& args = {});

class Bundle {
 public:
  Bundle();  // copies the busybox rootfs; the process defaults to `/bin/true`
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::filesystem::path& dir() const { return dir_; }  // holds config.json and rootfs/
  std::filesystem::path rootfs() const { return dir_ / "rootfs"; }
  std::filesystem::path config_path() const { return dir_ / "config.json"; }
  // Scratch space beside the bundle, removed with it (host-side fixtures: driver dirs, decoys, runtime state).
  std::filesystem::path scratch(const std::string& name) const;

  nlohmann::json& config() { return config_; }

  Bundle& shell(const std::string& script);  // process.args = ["/bin/sh", "-c", script]
  Bundle& args(const std::vector<std::string>& argv);
  Bundle& env(const std::string& key_value);  // appended to process.env
  Bundle& hook(Stage stage, const Hook& hook);
  // linux.devices entry plus the cgroup rule that allows it (as podman writes CDI device nodes, runtimes.md §2c).
  Bundle& char_device(const std::string& path, int major, int minor, int file_mode = 0666);
  Bundle& bind_mount(const std::filesystem::path& host, const std::string& container_path, bool read_only = true);
  Bundle& readonly_root(bool readonly);

  // What the image holds, written straight into the rootfs before the run (container paths, leading "/" optional).
  Bundle& copy_in(const std::filesystem::path& host_file, const std::string& container_path);
  Bundle& write_in(const std::string& container_path, const std::string& content);
  Bundle& symlink_in(const std::string& target, const std::string& container_path);
  std::filesystem::path host_path_of(const std::string& container_path) const;  // rootfs()/container_path, lexically

  void write_config() const;

 private:
  test::TempDir tmp_;
  std::filesystem::path dir_;
  nlohmann::json config_;
};

}  // namespace gpuhooks::e2e
