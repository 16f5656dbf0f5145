#pragma once
// Container annotations that request CDI devices (cdi.md §2.5; containerd and CRI-O read them):
// `cdi.k8s.io/<plugin>_<deviceID>: vendor/class=name,vendor/class=name`.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gpuhooks::cdi {

inline constexpr std::string_view kAnnotationPrefix = "cdi.k8s.io/";

// AnnotationKey: throws Error("invalid plugin name, empty"), ("invalid deviceID, empty"),
// ("invalid plugin+deviceID \"<name>\", too long") or the character errors of §2.5.
std::string annotation_key(std::string_view plugin_name, std::string_view device_id);

// AnnotationValue: each device must be a qualified name (else that error); joined with ","; empty list -> "".
std::string annotation_value(const std::vector<std::string>& devices);

// UpdateAnnotations: adds key -> value; throws Error("CDI annotation failed, key \"<k>\" used") or
// Error("CDI annotation failed: <err>"); `annotations` is unchanged on error.
void update_annotations(std::map<std::string, std::string>& annotations, std::string_view plugin_name,
                        std::string_view device_id, const std::vector<std::string>& devices);

struct AnnotationDevices {
  std::vector<std::string> keys;
  std::vector<std::string> devices;
};

// ParseAnnotations: keys starting with "cdi.k8s.io/" (suffix not validated); values split on "," with no trimming,
// every item must be a qualified name, else Error("invalid CDI device name \"<item>\""). Keys are visited in sorted
// order (the reference uses Go map order: unspecified); within one value the order is kept; duplicates are kept.
AnnotationDevices parse_annotations(const std::map<std::string, std::string>& annotations);

}  // namespace gpuhooks::cdi
