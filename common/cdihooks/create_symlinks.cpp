// create-symlinks --link TARGET::LINK ...: symlinks inside the container root (nvidia-hooks.md §1.3).
// Differences from the reference, on purpose: the "already exists" check is made through the in-root API too (the
// reference lstat()s a plain host path, which follows symlinked parents on the host), and all links are checked for
// syntax before the first one is made, so an invalid --link leaves nothing half-done.
#include <spdlog/spdlog.h>

#include <set>

#include "common/cdihooks/hook.h"
#include "common/error.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::cdihook {
namespace {

struct LinkSpec {
  std::string target;
  std::string link;
};

LinkSpec parse_link(const std::string& value) {
  auto sep = value.find("::");
  if (sep == std::string::npos || value.find("::", sep + 2) != std::string::npos)
    throw Error("invalid symlink specification " + value);
  return {value.substr(0, sep), value.substr(sep + 2)};
}

class CreateSymlinks : public Hook {
 public:
  std::string name() const override { return "create-symlinks"; }
  std::string description() const override { return "A hook to create symlinks in the container."; }
  void add_options(CLI::App& app) override {
    app.add_option("--link", links_, "Symlink to create, as TARGET::LINK (repeatable, comma-separated)")
        ->delimiter(',');
  }
  void validate() override {
    std::set<std::string> seen;
    for (const auto& v : links_) {
      if (!seen.insert(v).second) {
        spdlog::debug("Skipping duplicate link specification {}", v);
        continue;
      }
      auto spec = parse_link(v);
      if (spec.link.find_first_not_of('/') == std::string::npos)
        throw Error("invalid symlink specification " + v + ": the link path is empty");
      specs_.push_back(std::move(spec));
    }
  }
  void run(Container& container) override {
    if (specs_.empty()) return;
    rootfs::InRoot root(container.root());
    std::vector<std::pair<std::string, std::string>> links;
    for (const auto& s : specs_) links.emplace_back(s.target, s.link);
    std::vector<rootfs::InRoot::LinkMade> made;
    root.symlink_all(links, made);
    for (size_t i = 0; i < made.size(); ++i) {
      if (made[i] == rootfs::InRoot::LinkMade::kUnchanged) spdlog::debug("Link {} already exists", specs_[i].link);
      else spdlog::info("Symlinking {} to {}", specs_[i].link, specs_[i].target);
    }
  }

 private:
  std::vector<std::string> links_;
  std::vector<LinkSpec> specs_;
};

}  // namespace

std::unique_ptr<Hook> make_create_symlinks() { return std::make_unique<CreateSymlinks>(); }

}  // namespace gpuhooks::cdihook
