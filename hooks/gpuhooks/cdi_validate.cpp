// `gpuhooks cdi validate FILE...`: parses and validates each file as the registry would, and lists every problem,
// one line each, naming the file, plus the annotation-key rules the reference's validate command applies (§2.4).
// Exit 1 when any file has one. (The reference's `cdi validate` ignores its
// arguments and prints the cache's errors, cdi.md §1.6; checking the named files is what users expect of it.)
#include <iostream>
#include <memory>

#include "command.h"
#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/spec_annotations.h"
#include "common/cdi/spec/validate.h"
#include "common/cdi/spec/version.h"
#include "common/error.h"

namespace gpuhooks::cli {
namespace {

// Prints the file's problems (or a one-line summary when there are none); true when valid.
bool validate_file(const std::string& path) {
  cdi::Spec spec;
  try {
    spec = cdi::read_spec_file(path);
  } catch (const Error& e) {
    std::cout << e.what() << "\n";
    return false;
  }
  auto problems = cdi::spec_problems(spec);
  auto annotations = cdi::annotation_problems(spec);  // as the reference's validate command, not its loader
  problems.insert(problems.end(), annotations.begin(), annotations.end());
  for (const auto& p : problems) std::cout << cdi::describe_problem(path, p) << "\n";
  if (!problems.empty()) return false;
  std::cout << path << ": valid (cdiVersion " << spec.cdi_version << ", minimum " << cdi::minimum_required_version(spec)
            << ", " << spec.devices.size() << (spec.devices.size() == 1 ? " device)" : " devices)") << "\n";
  return true;
}

}  // namespace

void add_validate(CLI::App& group) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* cmd = group.add_subcommand("validate", "Check CDI spec files; list every problem, exit 1 if any");
  cmd->add_option("files", *files, "Spec files (YAML or JSON)")->required();
  cmd->callback([files] {
    bool ok = true;
    for (const auto& f : *files) ok = validate_file(f) && ok;
    if (!ok) throw ExitCode{1};
  });
}

}  // namespace gpuhooks::cli
