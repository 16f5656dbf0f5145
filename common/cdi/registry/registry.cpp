#include "common/cdi/registry/registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/cdi/registry/clean_path.h"
#include "common/cdi/spec/names.h"
#include "common/cdi/spec/parse.h"
#include "common/cdi/spec/quote.h"
#include "common/cdi/spec/validate.h"
#include "common/error.h"

namespace gpuhooks::cdi {
namespace {

bool spec_file_name(std::string_view name) {
  auto ends_with = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  return ends_with(".json") || ends_with(".yaml");  // exactly: not .yml, .JSON, .json.bak (filepath.Ext)
}

}  // namespace

const std::vector<std::string>& Registry::default_spec_dirs() {
  static const std::vector<std::string> dirs = {"/etc/cdi", "/var/run/cdi"};
  return dirs;
}

Registry::Registry(std::vector<std::string> spec_dirs) : dirs_(std::move(spec_dirs)) {
  std::vector<FileJob> jobs;
  for (auto& d : dirs_) d = clean_path(d);
  for (size_t i = 0; i < dirs_.size(); ++i) list_dir(dirs_[i], static_cast<int>(i), jobs);
  load_files(jobs);
  index_devices();
}

void Registry::list_dir(const std::string& dir, int priority, std::vector<FileJob>& jobs) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    // A missing dir is normal (/etc/cdi absent must not hide /var/run/cdi: cdi#78). Any other failure skips this dir
    // only, with an error: v1.1.0's behaviour; HEAD stops scanning and loses the error, which we refuse.
    if (errno != ENOENT)
      errors_.push_back({dir, "failed to read CDI spec directory " + go_quote(dir) + ": " + std::strerror(errno)});
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!spec_file_name(name)) continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    // A symlink is not a dir here (lstat, as the reference): it is read through the link.
    if (!is_dir) names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) jobs.push_back({dir == "/" ? "/" + n : dir + "/" + n, priority});
}

namespace {

struct FileResult {
  std::unique_ptr<LoadedSpec> spec;  // null when the file failed
  std::vector<RegistryError> errors;
};

FileResult load_file(const std::string& path, int priority) {
  FileResult r;
  auto loaded = std::make_unique<LoadedSpec>();
  try {
    loaded->spec = read_spec_file(path);
  } catch (const std::exception& e) {
    r.errors.push_back({path, e.what()});
    return r;
  }
  // A spec is all or nothing: one bad device makes the whole file unusable (cdi.md §3.3).
  auto problems = spec_problems(loaded->spec);
  if (!problems.empty()) {
    for (const auto& p : problems) r.errors.push_back({path, describe_problem(path, p)});
    return r;
  }
  loaded->path = path;
  loaded->priority = priority;
  std::tie(loaded->vendor, loaded->class_name) = parse_qualifier(loaded->spec.kind);
  r.spec = std::move(loaded);
  return r;
}

}  // namespace

void Registry::load_files(const std::vector<FileJob>& jobs) {
  // One file after another, in scan order. Parsing on a few threads does not pay on a 2-core host: with 100 files
  // (bench/cdi_bench) two threads took more wall time than one (11-12 ms against 6-10 ms) and more CPU (thread
  // start, a second malloc arena), and real hosts hold 1-3 spec files.
  for (const auto& job : jobs) {
    FileResult r = load_file(job.path, job.priority);
    for (auto& e : r.errors) errors_.push_back(std::move(e));
    if (r.spec) specs_.push_back(std::move(r.spec));
  }
}

void Registry::index_devices() {
  size_t total = 0;
  for (const auto& s : specs_) total += s->spec.devices.size();
  devices_.reserve(total);
  // Conflicts: the same name twice at one priority (two files of one dir). Both files get the error and the name is
  // dropped. The reference drops it even when a higher-priority dir defines it too (cdi.md §3.4 "quirk"); we keep
  // the higher-priority definition on purpose: later dirs are meant to win.
  std::unordered_map<std::string, int> conflicts;
  for (const auto& s : specs_) {
    for (const auto& d : s->spec.devices) {
      std::string q = s->spec.kind + "=" + d.name;
      auto [it, inserted] = devices_.try_emplace(q, Entry{{s.get(), &d}, s->priority});
      if (inserted) continue;
      Entry& existing = it->second;
      if (s->priority > existing.priority) {
        existing = Entry{{s.get(), &d}, s->priority};
      } else if (s->priority == existing.priority) {
        std::string msg = "conflicting device " + go_quote(q) + " (specs " + go_quote(s->path) + ", " +
                          go_quote(existing.ref.spec->path) + ")";
        errors_.push_back({s->path, msg});
        errors_.push_back({existing.ref.spec->path, msg});
        conflicts[q] = s->priority;
      }
    }
  }
  for (const auto& [q, priority] : conflicts) {
    auto it = devices_.find(q);
    if (it != devices_.end() && it->second.priority == priority) devices_.erase(it);
  }
}

std::optional<DeviceRef> Registry::find(std::string_view qualified_name) const {
  auto it = devices_.find(std::string(qualified_name));
  if (it == devices_.end()) return std::nullopt;
  return it->second.ref;
}

std::vector<std::string> Registry::device_names() const {
  std::vector<std::string> names;
  names.reserve(devices_.size());
  for (const auto& [q, e] : devices_) names.push_back(q);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Registry::errors_for(std::string_view path) const {
  std::vector<std::string> out;
  for (const auto& e : errors_)
    if (e.path == path) out.push_back(e.message);
  return out;
}

}  // namespace gpuhooks::cdi
