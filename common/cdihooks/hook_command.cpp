#include "common/cdihooks/hook_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "common/error.h"
#include "common/rootfs/hook_deadline.h"

namespace gpuhooks::cdihook {
namespace {

// `a --x -- b --y` -> {{a, --x}, {b, --y}}; an empty segment (a stray "--") is dropped.
std::vector<std::vector<std::string>> split_hooks(const std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> out(1);
  for (const auto& a : args) {
    if (a == "--") {
      out.emplace_back();
    } else {
      out.back().push_back(a);
    }
  }
  std::erase_if(out, [](const auto& seg) { return seg.empty(); });
  return out;
}

// Parses one hook's flags (the root flags are accepted too); false when --help was printed.
bool parse_hook(Hook& hook, const std::string& prog, std::vector<std::string> rest, std::string& container_spec) {
  CLI::App app{hook.description(), prog + " " + hook.name()};
  bool debug = false, quiet = false;
  std::string log_file;  // read by the caller's pre-scan; declared here so the parser accepts it
  app.add_flag("-d,--debug", debug, "Enable debug-level logging");
  app.add_flag("--quiet", quiet, "Suppress all output except errors");
  app.add_option("--container-spec", container_spec, "Path to the OCI container state (\"-\" or empty: stdin)");
  app.add_option("--log-file", log_file, "Also append log lines to this file");
  hook.add_options(app);
  std::reverse(rest.begin(), rest.end());  // CLI11 takes its argument vector in reverse
  try {
    app.parse(rest);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return false;
  }
  return true;
}

}  // namespace

HookCommand::HookCommand(const std::vector<std::string>& root_flags, const std::vector<std::string>& hooks_and_flags,
                         const std::string& prog) {
  for (auto& segment : split_hooks(hooks_and_flags)) {
    auto it = std::find_if(hooks_.begin(), hooks_.end(), [&](const auto& h) { return h->name() == segment.front(); });
    if (it == hooks_.end()) {
      spdlog::warn("Unsupported CDI hook: {}", segment.front());
      continue;
    }
    // An unknown flag in front of a known hook is that hook's parse error (exit 1), as in the reference.
    std::vector<std::string> rest = root_flags;
    rest.insert(rest.end(), segment.begin() + 1, segment.end());
    Hook& hook = **it;
    std::string spec;
    try {
      if (!parse_hook(hook, prog, rest, spec)) {
        help_ = true;
        return;
      }
      hook.validate();
    } catch (const CLI::ParseError& e) {
      throw Error(hook.name() + ": " + e.what());
    } catch (const std::exception& e) {
      throw Error(hook.name() + ": " + e.what());
    }
    if (!spec.empty()) container_spec_ = spec;
    runs_.push_back({&hook});
  }
}

void HookCommand::run(Container& container) {
  for (auto& r : runs_) {
    rootfs::HookStep step(r.hook->name());
    try {
      r.hook->run(container);
    } catch (const std::exception& e) {
      throw Error(r.hook->name() + ": " + e.what());
    }
  }
}

}  // namespace gpuhooks::cdihook
