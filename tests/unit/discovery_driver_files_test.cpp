// Driver files per capability on the simulated H100 host (libnvidia-container.md A.1.2-A.1.3; nvidia-hooks.md §3.2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/discovery/driver_files.h"
#include "discovery_simulated_host.h"

namespace gpuhooks::discovery {
namespace {

namespace fs = std::filesystem;
using Kind = DriverFile::Kind;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
const std::string kVersion = "580.159.04";
using gpuhooks::test::kLib64;

DriverFiles find(const fs::path& root, std::vector<Capability> caps, DriverFilesOptions opts = {}) {
  LibraryLocator locator(root);
  return find_driver_files(locator, kVersion, caps, opts);
}

std::vector<std::string> names(const DriverFiles& files, Kind kind) {
  std::vector<std::string> out;
  for (const auto* f : files.of_kind(kind)) out.push_back(f->path.substr(f->path.rfind('/') + 1));
  return out;
}

TEST(DriverFiles, UtilityBringsNvmlAndCfgOnly) {
  auto files = find(test::simulated_host(), {Capability::kUtility});
  EXPECT_THAT(names(files, Kind::kLibrary), ElementsAre("libnvidia-ml.so." + kVersion, "libnvidia-cfg.so." + kVersion));
}

TEST(DriverFiles, ComputeBringsTheCudaLibrariesOfTheHost) {
  auto files = find(test::simulated_host(), {Capability::kCompute});
  EXPECT_THAT(names(files, Kind::kLibrary),
              ElementsAre("libcuda.so." + kVersion, "libcudadebugger.so." + kVersion, "libnvidia-opencl.so." + kVersion,
                          "libnvidia-gpucomp.so." + kVersion, "libnvidia-ptxjitcompiler.so." + kVersion,
                          "libnvidia-allocator.so." + kVersion, "libnvidia-pkcs11-openssl3.so." + kVersion,
                          "libnvidia-nvvm.so." + kVersion));
}

TEST(DriverFiles, VideoAlsoBringsTheComputeLibraries) {
  auto files = find(test::simulated_host(), {Capability::kVideo});
  auto libs = names(files, Kind::kLibrary);
  EXPECT_THAT(libs, Contains("libnvcuvid.so." + kVersion));
  EXPECT_THAT(libs, Contains("libcuda.so." + kVersion));
  EXPECT_THAT(libs, Not(Contains("libnvidia-ml.so." + kVersion)));
}

TEST(DriverFiles, GraphicsBringsTheGlvndAndCoreLibraries) {
  auto libs = names(find(test::simulated_host(), {Capability::kGraphics}), Kind::kLibrary);
  EXPECT_THAT(libs, Contains("libGLX_nvidia.so." + kVersion));
  EXPECT_THAT(libs, Contains("libnvidia-tls.so." + kVersion));
  EXPECT_THAT(libs, Contains("libnvidia-glvkspirv.so." + kVersion));
  EXPECT_THAT(libs, Not(Contains("libcuda.so." + kVersion)));
}

TEST(DriverFiles, EveryCapabilityTogetherMountsAllTwentySixHostLibraries) {
  auto files = find(test::simulated_host(), {Capability::kUtility, Capability::kCompute, Capability::kVideo,
                                             Capability::kGraphics, Capability::kDisplay, Capability::kNgx});
  EXPECT_EQ(files.of_kind(Kind::kLibrary).size(), 26u);
  for (const auto* lib : files.of_kind(Kind::kLibrary)) {
    EXPECT_EQ(lib->path.rfind(kLib64 + "/", 0), 0u) << lib->path;
    EXPECT_EQ(lib->host_path, test::simulated_host().string() + lib->path);
  }
  EXPECT_EQ(files.library_dirs(), std::vector<std::string>{kLib64});
}

TEST(DriverFiles, KeepsOnlyFilesOfTheDriversVersion) {
  test::TempDir dir;
  test::write_file(dir / ("usr/lib64/libnvidia-ml.so." + kVersion), "x");
  test::write_file(dir / "usr/lib64/libnvidia-ml.so.470.1.2", "x");  // another driver's leftover
  test::write_file(dir / "usr/lib64/libnvidia-ml.so.1", "x");        // not a version at all
  auto files = find(dir.path(), {Capability::kUtility});
  EXPECT_THAT(names(files, Kind::kLibrary), ElementsAre("libnvidia-ml.so." + kVersion));
}

TEST(DriverFiles, ReadsEachLibrarysSoname) {
  auto files = find(test::simulated_host(), {Capability::kCompute, Capability::kGraphics});
  std::map<std::string, std::string> soname;
  for (const auto* lib : files.of_kind(Kind::kLibrary))
    soname[lib->path.substr(lib->path.rfind('/') + 1)] = lib->soname;
  EXPECT_EQ(soname["libcuda.so." + kVersion], "libcuda.so.1");
  EXPECT_EQ(soname["libnvidia-nvvm.so." + kVersion], "libnvidia-nvvm.so.4");
  EXPECT_EQ(soname["libnvidia-tls.so." + kVersion], "libnvidia-tls.so." + kVersion);
}

TEST(DriverFiles, ListsWhatItLookedForAndDidNotFind) {
  auto files = find(test::simulated_host(), {Capability::kUtility, Capability::kNgx});
  EXPECT_THAT(files.missing, Contains("library libnvidia-nscq.so (utility)"));
  EXPECT_THAT(files.missing, Contains("library libnvidia-ngx.so (ngx)"));
  EXPECT_THAT(files.missing, Contains("binary nv-fabricmanager (utility)"));
  EXPECT_THAT(files.missing, Not(Contains("library libnvidia-ml.so (utility)")));
}

TEST(DriverFiles, FindsBinariesInTheDriversOwnTreeBesideItsLibraries) {
  auto files = find(test::simulated_host(), {Capability::kUtility, Capability::kCompute});
  EXPECT_EQ(files.install_prefix, "/usr/local/nvidia");
  std::vector<std::string> bins;
  for (const auto* f : files.of_kind(Kind::kBinary)) bins.push_back(f->path);
  EXPECT_THAT(bins,
              ElementsAre("/usr/local/nvidia/bin/nvidia-smi", "/usr/local/nvidia/bin/nvidia-debugdump",
                          "/usr/local/nvidia/bin/nvidia-persistenced", "/usr/local/nvidia/bin/nvidia-cuda-mps-control",
                          "/usr/local/nvidia/bin/nvidia-cuda-mps-server"));
}

TEST(DriverFiles, PrefersABinaryOnTheCallersPathInsideTheRoot) {
  test::TempDir dir;
  test::write_file(dir / ("usr/lib64/libnvidia-ml.so." + kVersion), "x");
  test::write_file(dir / "opt/tools/nvidia-smi", "x");
  test::write_file(dir / "usr/bin/nvidia-smi", "x");
  DriverFilesOptions opts;
  opts.path_dirs = {"/opt/tools"};
  auto files = find(dir.path(), {Capability::kUtility}, opts);
  ASSERT_EQ(files.of_kind(Kind::kBinary).size(), 1u);
  EXPECT_EQ(files.of_kind(Kind::kBinary)[0]->path, "/opt/tools/nvidia-smi");
}

TEST(DriverFiles, FindsGspFirmwareThroughTheFirmwareClassPath) {
  auto files = find(test::simulated_host(), {Capability::kUtility});
  std::vector<std::string> fw;
  for (const auto* f : files.of_kind(Kind::kFirmware)) fw.push_back(f->path);
  EXPECT_THAT(fw, ElementsAre("/usr/local/nvidia/firmware/nvidia/" + kVersion + "/gsp_ga10x.bin",
                              "/usr/local/nvidia/firmware/nvidia/" + kVersion + "/gsp_tu10x.bin"));
}

TEST(DriverFiles, MountsConfigFilesAtTheirFixedContainerPaths) {
  const auto& root = test::simulated_host();
  auto files = find(root, {Capability::kGraphics});
  std::map<std::string, std::string> configs;
  for (const auto* f : files.of_kind(Kind::kConfig)) configs[f->path] = f->host_path;
  EXPECT_EQ(
      configs,
      (std::map<std::string, std::string>{
          {"/usr/share/glvnd/egl_vendor.d/10_nvidia.json",
           root.string() + "/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json"},
          {"/etc/vulkan/icd.d/nvidia_icd.json", root.string() + "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json"},
          {"/etc/vulkan/implicit_layer.d/nvidia_layers.json",
           root.string() + "/usr/local/nvidia/share/vulkan/implicit_layer.d/nvidia_layers.json"}}));
}

TEST(DriverFiles, UtilityMountsPersistencedSocketsOnlyWhenTheyAreSockets) {
  test::TempDir dir;
  test::write_file(dir / ("usr/lib64/libnvidia-ml.so." + kVersion), "x");
  test::write_file(dir / "run/nvidia-persistenced/socket", "a regular file, not a socket");
  EXPECT_TRUE(find(dir.path(), {Capability::kUtility}).of_kind(Kind::kIpcSocket).empty());
}

TEST(LibraryLinks, LibcudaGetsItsDevLinkAndItsSonameLink) {
  const auto& root = test::simulated_host();
  auto files = find(root, {Capability::kCompute});
  rootfs::InRoot in_root(root);
  EXPECT_THAT(library_links(*files.of_kind(Kind::kLibrary)[0], in_root),
              ElementsAre(std::pair<std::string, std::string>{"libcuda.so.1", kLib64 + "/libcuda.so"},
                          std::pair<std::string, std::string>{"libcuda.so." + kVersion, kLib64 + "/libcuda.so.1"}));
}

TEST(LibraryLinks, AVersionedSonameGetsOnlyItsDevLink) {
  const auto& root = test::simulated_host();
  auto files = find(root, {Capability::kGraphics});
  rootfs::InRoot in_root(root);
  auto libs = files.of_kind(Kind::kLibrary);
  auto tls = std::find_if(libs.begin(), libs.end(),
                          [](auto* l) { return l->path.find("libnvidia-tls") != std::string::npos; });
  ASSERT_NE(tls, libs.end());
  EXPECT_THAT(library_links(**tls, in_root), ElementsAre(std::pair<std::string, std::string>{
                                                 "libnvidia-tls.so." + kVersion, kLib64 + "/libnvidia-tls.so"}));
}

TEST(LibraryLinks, GlxGetsTheIndirectLinkEvenWithoutOneOnTheHost) {
  const auto& root = test::simulated_host();
  auto files = find(root, {Capability::kGraphics});
  rootfs::InRoot in_root(root);
  auto libs = files.of_kind(Kind::kLibrary);
  auto glx = std::find_if(libs.begin(), libs.end(),
                          [](auto* l) { return l->path.find("libGLX_nvidia") != std::string::npos; });
  ASSERT_NE(glx, libs.end());
  EXPECT_THAT(
      library_links(**glx, in_root),
      ElementsAre(std::pair<std::string, std::string>{"libGLX_nvidia.so." + kVersion, kLib64 + "/libGLX_indirect.so.0"},
                  std::pair<std::string, std::string>{"libGLX_nvidia.so." + kVersion, kLib64 + "/libGLX_nvidia.so.0"},
                  std::pair<std::string, std::string>{"libGLX_nvidia.so.0", kLib64 + "/libGLX_nvidia.so"}));
}

}  // namespace
}  // namespace gpuhooks::discovery
