// The nvidia.com/gpus annotation (common/oci/gpus_annotation.h): the request of a container that the packaged
// hooks.d file brings the hook into. Its value reads as NVIDIA_VISIBLE_DEVICES does; it is the more explicit request,
// so it comes before the image's env and hides it; volume mounts, when accepted, still come first; and it passes the
// same privilege gate as the env.
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/oci/container_config.h"
#include "common/oci/gpus_annotation.h"
#include "common/request/request.h"

using namespace gpuhooks;
using Strings = std::vector<std::string>;

namespace {

oci::ContainerConfig annotated(const std::string& value, std::map<std::string, std::string> env = {}) {
  oci::ContainerConfig c;
  c.oci_version = "1.0.2";
  c.env = std::move(env);
  c.annotations[std::string(oci::kGpusAnnotation)] = value;
  return c;
}

Strings gpus_of(const oci::ContainerConfig& c, const request::RequestOptions& o = {}) {
  return request::read_request(c, o).devices;
}

}  // namespace

TEST(RequestGpusAnnotation, ItsValueIsTheDeviceList) {
  EXPECT_EQ(gpus_of(annotated("all")), Strings{"all"});
  EXPECT_EQ(gpus_of(annotated(" 1, GPU-8f6b ,1")), (Strings{"1", "GPU-8f6b"}));
  EXPECT_EQ(gpus_of(annotated("nvidia.com/gpu=0")), Strings{"nvidia.com/gpu=0"});
  EXPECT_EQ(gpus_of(annotated("none")), Strings{""});
}

TEST(RequestGpusAnnotation, TheRequestSaysWhoAsked) {
  EXPECT_EQ(request::read_request(annotated("0"), {}).requested_by, "annotation nvidia.com/gpus");
  oci::ContainerConfig env_only;
  env_only.env = {{"NVIDIA_VISIBLE_DEVICES", "0"}};
  EXPECT_EQ(request::read_request(env_only, {}).requested_by, "NVIDIA_VISIBLE_DEVICES");
  EXPECT_EQ(request::read_request(annotated("void"), {}).requested_by, "");
  // Of the swarm-resource names, those that are set.
  request::RequestOptions swarm;
  swarm.swarm_resource = {"R_A", "R_B"};
  oci::ContainerConfig swarm_env;
  swarm_env.env = {{"R_B", "1"}};
  EXPECT_EQ(request::read_request(swarm_env, swarm).requested_by, "R_B");
}

TEST(RequestGpusAnnotation, ItHidesTheImagesEnv) {
  EXPECT_EQ(gpus_of(annotated("1", {{"NVIDIA_VISIBLE_DEVICES", "all"}})), Strings{"1"});
  // "void" and "" ask for nothing, whatever the image's env or a CUDA image's default says.
  for (const char* nothing : {"void", "", " , "}) {
    auto r =
        request::read_request(annotated(nothing, {{"NVIDIA_VISIBLE_DEVICES", "all"}, {"CUDA_VERSION", "12.4"}}), {});
    EXPECT_FALSE(r.gpu_container) << '"' << nothing << '"';
  }
}

TEST(RequestGpusAnnotation, CapabilitiesAndRequirementsStillComeFromTheEnv) {
  auto r = request::read_request(
      annotated("0", {{"NVIDIA_DRIVER_CAPABILITIES", "utility"}, {"NVIDIA_REQUIRE_DRIVER", "driver>=500"}}), {});
  EXPECT_EQ(r.driver_capabilities, Strings{"utility"});
  EXPECT_EQ(r.requirements, Strings{"driver>=500"});
}

TEST(RequestGpusAnnotation, AcceptedVolumeMountsComeFirst) {
  auto c = annotated("all");
  c.mounts.push_back({"/var/run/nvidia-container-devices/1", "/dev/null", "bind", {"ro"}});
  request::RequestOptions o;
  o.accept_volume_mounts = true;
  EXPECT_EQ(gpus_of(c, o), Strings{"1"});
}

TEST(RequestGpusAnnotation, ItPassesTheEnvsPrivilegeGate) {
  request::RequestOptions o;
  o.accept_envvar_unprivileged = false;
  auto r = request::read_request(annotated("0"), o);
  EXPECT_FALSE(r.gpu_container);
  EXPECT_EQ(r.warnings, Strings{"Ignoring devices requested by annotation nvidia.com/gpus in unprivileged container"});
  auto privileged = annotated("0");
  privileged.bounding_capabilities = {"CAP_SYS_ADMIN"};
  EXPECT_EQ(gpus_of(privileged, o), Strings{"0"});
}

TEST(RequestGpusAnnotation, ConfigJsonAnnotationsAreReadAsStrings) {
  auto c = oci::parse_container_config(
      R"({"ociVersion":"1.0.2","process":{"env":[]},"root":{"path":"rootfs"},)"
      R"("annotations":{"nvidia.com/gpus":"0,1","io.podman.annotations.init":"FALSE","n":null}})",
      "config.json");
  EXPECT_EQ(c.annotations.at("nvidia.com/gpus"), "0,1");
  EXPECT_EQ(c.annotations.at("n"), "");
  EXPECT_EQ(gpus_of(c), (Strings{"0", "1"}));
  try {
    oci::parse_container_config(R"({"ociVersion":"1.0.2","process":{},"root":{"path":"r"},"annotations":{"a\nb":1}})",
                                "config.json");
    FAIL() << "a number as an annotation value was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "config.json: could not decode OCI spec: annotations[\"a\\nb\"] is not a string");
  }
}
