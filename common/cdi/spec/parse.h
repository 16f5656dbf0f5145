#pragma once
// Reading a CDI spec into the model (cdi.md §1.1): YAML or JSON, the content decides; unknown and duplicate keys are
// errors; keys match fields exactly, else ASCII case-insensitively (what encoding/json does: `additionalGIDs`,
// `CDIVersion` load in the reference, so they load here); YAML 1.1 scalars are coerced into string fields; integers
// are range-checked for their Go types (int64 major/minor, uint32 uid/gid/fileMode/additionalGids, int timeout).
// Parsing does not validate (validate.h): a spec that parses may still be invalid.
//
// Deliberate differences from the reference, each rejecting what Go would silently accept or mis-read:
//   - two keys that fold to the same field (`kind` and `Kind`) are a duplicate, not "last one wins";
//   - a null entry in deviceNodes/mounts/hooks/netDevices is an error here (Go fails later, in validation);
//   - YAML merge keys (`<<`) are not resolved (no CDI spec generator writes them): they are unknown fields;
//   - hook timeout is limited to 32 bits (the model's int), Go's int is 64 bits.
#include <string>
#include <string_view>

#include "common/cdi/spec/spec.h"

namespace gpuhooks::cdi {

// Throws Error(`failed to parse CDI Spec "<source>": <field>: <problem>`), e.g.
//   failed to parse CDI Spec "/etc/cdi/a.yaml": devices[0].containerEdits: unknown field "xyzzy"
// and, for an empty or null document, Error(`failed to parse CDI Spec "<source>", no Spec data`).
// An empty `source` drops the quoted name.
Spec parse_spec(std::string_view data, std::string_view source);

// Reads `path` whole and parses it. Read failures: `failed to read CDI Spec "<path>": <strerror>`.
Spec read_spec_file(const std::string& path);

}  // namespace gpuhooks::cdi
