#include "common/plan/apply.h"

#include <fcntl.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "common/cdihooks/hook_command.h"
#include "common/error.h"
#include "common/ldcache/container_ldcache.h"
#include "common/plan/cgroup_devices.h"
#include "common/plan/child_process.h"
#include "common/rootfs/in_root.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

using Clock = std::chrono::steady_clock;

// A host file or node cloned as a detached mount with its flags set, ready to be attached in the container.
struct Clone {
  std::string path;  // the container path it goes to
  UniqueFd tree;
  bool directory = false;
  unsigned long remount_flags = 0;  // MS_* flags still to set once attached (kernels without mount_setattr)
};

// The mount(2) flags of MOUNT_ATTR_* bits, for the remount that stands in for mount_setattr before Linux 5.12.
unsigned long ms_flags(uint64_t attrs) {
  unsigned long flags = 0;
  if (attrs & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
  if (attrs & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
  if (attrs & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
  if (attrs & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
  return flags;
}

// The flags the host's own mount of `fd` has (statvfs), as MS_* flags: a bind remount replaces them all, where
// mount_setattr only adds.
unsigned long host_mount_flags(int fd) {
  struct statvfs st {};
  if (::fstatvfs(fd, &st) != 0) return MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;  // unknown: the strictest
  unsigned long flags = 0;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return flags;
}

Clone clone_source(const std::string& host_path, const std::string& path, uint64_t attrs) {
  // Cloned by path (symlinks followed, as open(2) would): the clone's own fd answers fstat and fstatvfs.
  Clone c{path, UniqueFd(::open_tree(AT_FDCWD, host_path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)), false};
  if (!c.tree.valid()) throw sys_error("cannot open " + host_path + " on the host");
  struct stat st {};
  if (::fstat(c.tree.get(), &st) != 0) throw sys_error("cannot stat " + host_path);
  c.directory = S_ISDIR(st.st_mode);
  struct mount_attr attr {};
  attr.attr_set = attrs;
  if (::mount_setattr(c.tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) return c;
  // Linux 5.6 to 5.11 (Debian 11's 5.10) have open_tree and move_mount but not mount_setattr: the flags are set by
  // a bind remount of the attached mount instead, before anything else in the container can see it.
  if (errno != ENOSYS) throw sys_error("cannot set the mount flags of " + host_path);
  c.remount_flags = ms_flags(attrs) | host_mount_flags(c.tree.get());
  return c;
}

// The mounts first, in the plan's order (order_mounts), then the device nodes: runc makes a spec's mounts before its
// linux.devices, and libnvidia-container the driver's files before its nodes.
std::vector<Clone> clone_sources(const Plan& plan) {
  std::vector<Clone> clones;
  for (const auto& m : plan.mounts) {
    uint64_t attrs = MOUNT_ATTR_NOSUID;
    if (!m.devices) attrs |= MOUNT_ATTR_NODEV;
    if (m.read_only) attrs |= MOUNT_ATTR_RDONLY;
    if (m.no_exec) attrs |= MOUNT_ATTR_NOEXEC;
    clones.push_back(clone_source(m.host_path, m.path, attrs));
  }
  for (const auto& n : plan.device_nodes) {
    // As libnvidia-container: a node must be the one the plan names (a host that changed since is an error).
    struct stat st {};
    if (::stat(n.host_path.c_str(), &st) != 0) throw sys_error("device node " + n.host_path + " on the host");
    bool is_type = n.type == 'b' ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode);
    if (!is_type || st.st_rdev != makedev(n.major, n.minor))
      throw Error("invalid device node " + n.host_path + ": not " + std::string(1, n.type) + " " +
                  std::to_string(n.major) + ":" + std::to_string(n.minor));
    clones.push_back(clone_source(n.host_path, n.path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  }
  return clones;
}

// What the child made, so that a failure can take it back.
class Undo {
 public:
  explicit Undo(const rootfs::InRoot& root) : root_(root) {}
  void created(const std::string& path) { created_.push_back(path); }
  // Before the folder `dir` is made: it and its ancestors that do not exist yet will be made, and go on undo. The
  // deepest is looked up first: where its parent exists, that is all.
  void folders_from(const std::string& dir) {
    auto parts = rootfs::path_components(dir);
    std::vector<std::string> missing;
    for (; !parts.empty(); parts.pop_back()) {
      std::string prefix;
      for (const auto& p : parts) prefix += "/" + p;
      if (root_.exists(prefix)) break;
      missing.push_back(prefix);
    }
    created_.insert(created_.end(), missing.rbegin(), missing.rend());
  }
  void parents_of(const std::string& path) { folders_from(rootfs::split_parent(path).first); }
  void mounted(const std::string& path) { mounted_.push_back(path); }
  void run() noexcept {
    for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it) {
      try {
        UniqueFd fd = root_.open(*it, O_PATH, rootfs::Follow::kNoFinal);
        ::umount2(rootfs::InRoot::proc_fd_path(fd.get()).c_str(), MNT_DETACH);
      } catch (const std::exception&) {
      }
    }
    // Deepest first, so each directory is empty by the time its turn comes (remove() leaves a non-empty one).
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      try {
        root_.remove(*it);
      } catch (const std::exception&) {
      }
    }
  }

 private:
  const rootfs::InRoot& root_;
  std::vector<std::string> created_, mounted_;
};

// Sets the flags of a clone just attached with a bind remount (mount_setattr's stand-in), through the clone's own
// fd: after move_mount it names that mount, in this namespace, whatever has happened to the path since.
void remount(const Clone& c) {
  if (::mount(nullptr, rootfs::InRoot::proc_fd_path(c.tree.get()).c_str(), nullptr,
              MS_REMOUNT | MS_BIND | c.remount_flags, nullptr) != 0)
    throw sys_error("cannot set the mount flags of " + c.path + " in the container");
}

// The folders of the mount targets, each opened (or made, with its missing ancestors on undo) once: the second and
// later files of a folder cost no lookup of the folder again. A folder kept open never has a directory mounted over
// it later: the plan's mounts come shallowest first (order_mounts), so a directory's mount is made before any
// target under it is looked up.
class TargetFolders {
 public:
  TargetFolders(const rootfs::InRoot& root, Undo& undo) : root_(root), undo_(undo) {}
  // The folder's fd; invalid where `make` is false and the folder is missing.
  int get(const std::string& dir, bool make) {
    if (auto it = open_.find(dir); it != open_.end()) return it->second.get();
    int err = 0;
    UniqueFd fd = root_.try_open(dir, O_PATH | O_DIRECTORY, rootfs::Follow::kAll, &err);
    if (!fd.valid()) {
      if (err != ENOENT && err != ENOTDIR)
        throw sys_error("cannot open " + rootfs::printable(dir) + " in the container", err);
      if (!make) return -1;
      undo_.folders_from(dir);
      fd = root_.mkdir_all(dir);
    }
    return open_.emplace(dir, std::move(fd)).first->second.get();
  }
 private:
  const rootfs::InRoot& root_;
  Undo& undo_;
  std::map<std::string, UniqueFd> open_;
};

// The empty file or directory a clone is attached to, opened in its folder without following a final symlink (a
// planted link is refused, never followed); a missing one is made there (O_EXCL: never through a link either). Invalid
// for a /proc path the container's procfs lacks: nothing can be created there, and what is missing is the kernel
// module's (a simulated host, a CPU node), so the mount is skipped.
UniqueFd mount_target(TargetFolders& folders, const Clone& c, Undo& undo) {
  auto [parent, base] = rootfs::split_parent(c.path);
  const bool in_proc = c.path.starts_with("/proc/");
  auto skip = [&] {
    spdlog::debug("Skipping the mount of {}: the container's procfs has no such path (no nvidia kernel module)",
                  c.path);
    return UniqueFd();
  };
  int dir = folders.get(parent, !in_proc);
  if (dir < 0) return skip();
  UniqueFd target(::openat(dir, base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target.valid()) {
    if (errno != ENOENT) throw sys_error("cannot open " + c.path + " in the container");
    if (in_proc) return skip();
    if (c.directory) {
      if (::mkdirat(dir, base.c_str(), 0755) != 0) throw sys_error("cannot create " + c.path + " in the container");
      undo.created(c.path);
      target.reset(::openat(dir, base.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
      if (!target.valid()) throw sys_error("cannot open " + c.path + " in the container");
      return target;
    }
    // The new file's own fd is the mount target: what it names cannot have changed since it was made.
    target.reset(::openat(dir, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!target.valid()) throw sys_error("cannot create " + c.path + " in the container");
    undo.created(c.path);
    return target;
  }
  // The type is checked on what was opened, not on the name looked up before: the name may have changed since.
  struct stat opened {};
  if (::fstat(target.get(), &opened) != 0) throw sys_error("cannot stat " + c.path + " in the container");
  if (S_ISLNK(opened.st_mode)) throw Error(c.path + " in the container is a symlink; refusing to mount over it");
  if (c.directory != S_ISDIR(opened.st_mode))
    throw Error(c.path + " in the container is " + (c.directory ? "not a directory" : "a directory"));
  return target;
}

// All links at once (symlink_all: each folder looked up once); the new ones, and the folders made for them, go on
// undo, also when a later one fails.
void make_links(const rootfs::InRoot& root, const std::vector<Link>& links, Undo& undo) {
  std::set<std::string> folders;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& l : links) {
    if (folders.insert(rootfs::split_parent(l.path).first).second) undo.parents_of(l.path);
    pairs.emplace_back(l.target, l.path);
  }
  std::vector<rootfs::InRoot::LinkMade> made;
  auto record = [&] {
    for (size_t i = 0; i < made.size(); ++i)
      if (made[i] == rootfs::InRoot::LinkMade::kCreated) undo.created(links[i].path);
  };
  try {
    root.symlink_all(pairs, made);
  } catch (...) {
    record();
    throw;
  }
  record();
}

// The child's work, in the container's mount namespace. Throws on the first failure after undoing.
void apply_inside(const Plan& plan, std::vector<Clone>& clones, const ApplyContext& ctx, Clock::time_point deadline) {
  rootfs::InRoot root(ctx.rootfs);
  Undo undo(root);
  try {
    TargetFolders folders(root, undo);
    for (auto& c : clones) {
      UniqueFd target = mount_target(folders, c, undo);
      if (!target.valid()) continue;
      if (::move_mount(c.tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        throw sys_error("cannot mount over " + c.path + " in the container");
      undo.mounted(c.path);
      if (c.remount_flags != 0) remount(c);
    }
    make_links(root, plan.links, undo);
    if (!plan.own_hooks.empty()) {
      std::istringstream state(ctx.state_json);
      cdihook::Container container("", state);
      cdihook::HookCommand(/*root_flags=*/{}, plan.own_hooks, "nvidia-cdi-hook").run(container);
    }
    for (const auto& h : plan.hooks) run_hook(h, ctx.state_json, deadline);
    if (!plan.ldcache_folders.empty())
      ldcache::update_container_ldcache(ctx.rootfs, plan.ldcache_folders, plan.ldconfig_path);
  } catch (...) {
    undo.run();
    throw;
  }
}

// The container's mount namespace, opened through /proc/<pid> (its cgroup is read through the same directory later,
// so a pid reused in between fails instead of naming another process); never our own namespace: a hook run at the
// wrong stage (createContainer's pid 1 is the host's init then) must not mount on the host.
UniqueFd container_mount_ns(int proc_dir, int pid) {
  UniqueFd ns(::openat(proc_dir, "ns/mnt", O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) throw sys_error("cannot open the mount namespace of container process " + std::to_string(pid));
  struct stat theirs {
  }, ours{};
  if (::fstat(ns.get(), &theirs) == 0 && ::stat("/proc/self/ns/mnt", &ours) == 0 && theirs.st_dev == ours.st_dev &&
      theirs.st_ino == ours.st_ino)
    throw Error("process " + std::to_string(pid) +
                " shares the hook's mount namespace: nvidia-container-runtime-hook must run as a prestart hook");
  return ns;
}

}  // namespace

void apply_plan(const Plan& plan, const ApplyContext& ctx) {
  const auto deadline = Clock::now() + ctx.deadline;
  if (ctx.pid <= 0) throw Error("the container state has no pid: a prestart hook needs the container's process");
  if (rootfs::InRoot(ctx.rootfs).is_host_root())
    throw Error("refusing container root " + rootfs::printable(ctx.rootfs.string()) +
                ": it is the host's root directory");
  UniqueFd proc_dir(::open(("/proc/" + std::to_string(ctx.pid)).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!proc_dir.valid()) throw sys_error("container process " + std::to_string(ctx.pid));
  UniqueFd mnt_ns = container_mount_ns(proc_dir.get(), ctx.pid);
  std::vector<Clone> clones = clone_sources(plan);
  run_in_child(
      "applying the plan in the container",
      [&] {
        if (::setns(mnt_ns.get(), CLONE_NEWNS) != 0) throw sys_error("cannot enter the container's mount namespace");
        apply_inside(plan, clones, ctx, deadline);
      },
      deadline);
  if (!ctx.no_cgroups && !plan.cgroup_rules.empty()) allow_devices(proc_dir.get(), ctx.pid, plan.cgroup_rules);
}

}  // namespace gpuhooks::plan
