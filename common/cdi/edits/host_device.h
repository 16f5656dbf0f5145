#pragma once
// fillMissingInfo (cdi.md §4.5a): completes a spec's device node from the host's node at hostPath (else path) -
// type, major/minor, file mode - on a copy: the reference mutates its cached spec, which hides later host changes
// (a driver reload that moves the major number); ours never changes the registry.
#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

// Throws Error:
//   failed to stat CDI host device "<hostPath>": <strerror | not a device node>   (node not "minimal")
//   CDI device ("<path>", "<hostPath>"), host type mismatch (<specType>, <hostType>)
DeviceNode fill_from_host(const DeviceNode& node);

}  // namespace gpuhooks::cdi
