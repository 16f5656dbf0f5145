#include "common/cdihooks/hook.h"

namespace gpuhooks::cdihook {
namespace {

// Hidden in the reference too: a hook that does nothing, for specs that need a placeholder.
class Noop : public Hook {
 public:
  std::string name() const override { return "noop"; }
  std::string description() const override { return "Do nothing"; }
  bool hidden() const override { return true; }
  void add_options(CLI::App&) override {}
  void run(Container&) override {}
};

}  // namespace

std::unique_ptr<Hook> make_noop() { return std::make_unique<Noop>(); }

}  // namespace gpuhooks::cdihook
