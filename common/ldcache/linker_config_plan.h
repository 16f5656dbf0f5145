#pragma once
// A container's linker configuration, so that its ldconfig run indexes extra folders: the files update-ldcache
// leaves in a container (nvidia-hooks.md §1.4 step 5, §6 "Files written into containers"). Planning reads the root
// and decides every file to create or append to; applying only writes what the plan says.
#include <string>
#include <vector>

#include "common/ldcache/ld_so_conf.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::ldcache {

struct ConfigWrite {
  enum class Mode { kCreate, kAppend };  // create: a new file (never over an existing name); append: at the end
  Mode mode = Mode::kCreate;
  std::string path;     // in the root
  std::string content;  // what is written, all of it
  std::string why;      // for --debug and tests: which rule asked for it
  bool operator==(const ConfigWrite&) const = default;
};

struct LinkerConfigPlan {
  std::vector<std::string> added_folders;  // the requested folders not already configured, in request order
  std::string folders_file;                // "/etc/ld.so.conf.d/00-nvcr-<rand>.conf", or "" when nothing is added
  std::string system_paths_file;           // "/etc/ld.so.conf.d/zz-nvcr-<rand>.conf" (new, or ours reused)
  std::string musl_path_file;              // "/etc/ld-musl-<arch>.path" for an Alpine root, else ""
  std::vector<ConfigWrite> writes;         // in the order apply makes them; empty on a restarted container
  // The folders the image's own configuration named when the plan was made, before any of its writes: the cache
  // plan tells by them which folders the writes add.
  std::vector<std::string> configured_before;

  bool creates(const std::string& path) const;
};

// Refuses (Error) when /etc or /etc/ld.so.conf.d in the root is a symlink whose target leaves the root when read
// from the host (an absolute target, or ".." above the root). Inside the isolated pivot such a link cannot reach
// the host anyway; refusing it is the second line, and says clearly what the image tried.
void refuse_escaping_conf_links(const rootfs::InRoot& root);

// Refuses (Error naming the root) when the root's filesystem is mounted read-only.
void refuse_read_only_root(const rootfs::InRoot& root);

// What update-ldcache writes, in order: /etc/ld.so.conf ("include /etc/ld.so.conf.d/*.conf") only when missing; the
// requested folders that the system search paths or the configuration do not already name, in 00-nvcr-<rand>.conf
// (only when any remain); the container's system search paths, always, in zz-nvcr-<rand>.conf (a host ldconfig
// built with another default list still indexes the container's); for Alpine (/etc/alpine-release a regular file)
// the same folders appended to /etc/ld-musl-<arch>.path. Reads only; refuses escaping links (above).
// Planning again on a root the plan was applied to (a restarted container) plans nothing new: a drop-in of ours (a
// regular file) with the same content is reused, and musl path lines already listed are not appended again (the
// reference adds new drop-ins and duplicate lines on every start).
LinkerConfigPlan plan_linker_config(const rootfs::InRoot& root, const std::vector<std::string>& folders, Arch arch);

// The parts of the linker configuration a run may add to, as they were before it: a run that fails (a full disk,
// ldconfig failing, its deadline) takes back what it added, so the image is left as it was, not half configured.
struct LinkerConfigBefore {
  bool had_etc = false;
  bool had_conf_d = false;
  bool had_ld_so_conf = false;
  std::vector<std::string> conf_d_names;  // the entries of /etc/ld.so.conf.d
  bool known = false;                     // false when the root could not be read: then nothing is undone
};
LinkerConfigBefore linker_config_before(const rootfs::InRoot& root);

// Removes what a run added since `before`: drop-ins of ours (regular 00-nvcr-*.conf and zz-nvcr-*.conf files) that
// were not there, /etc/ld.so.conf when it was missing and now holds what a plan writes there, and /etc/ld.so.conf.d
// and /etc when they were missing and are empty again. Best effort: it runs on the way out of a failed run, whose
// error is what is reported.
void undo_linker_config(const rootfs::InRoot& root, const LinkerConfigBefore& before);

// Makes the plan's writes, in order, and nothing else. A name that appeared since the plan was made is an Error,
// never overwritten.
void apply_linker_config(const rootfs::InRoot& root, const LinkerConfigPlan& plan);

}  // namespace gpuhooks::ldcache
