#pragma once
// Writing a container's linker configuration so that its ldconfig run indexes extra folders: the files
// update-ldcache leaves in a container (nvidia-hooks.md §1.4 step 5, §6 "Files written into containers").
#include <string>
#include <vector>

#include "common/ldcache/ld_so_conf.h"
#include "common/rootfs/in_root.h"

namespace gpuhooks::ldcache {

struct LinkerConfigChange {
  bool created_ld_so_conf = false;
  std::vector<std::string> added_folders;  // the requested folders not already configured, in request order
  std::string folders_file;                // "/etc/ld.so.conf.d/00-nvcr-<rand>.conf", or "" when nothing was added
  std::string system_paths_file;           // "/etc/ld.so.conf.d/zz-nvcr-<rand>.conf"
  std::string musl_path_file;              // "/etc/ld-musl-<arch>.path" when appended to, else ""
};

// Refuses (Error) when /etc or /etc/ld.so.conf.d in the root is a symlink whose target leaves the root when read
// from the host (an absolute target, or ".." above the root). Inside the isolated pivot such a link cannot reach
// the host anyway; refusing it is the second line, and says clearly what the image tried.
void refuse_escaping_conf_links(const rootfs::InRoot& root);

// Refuses (Error naming the root) when the root's filesystem is mounted read-only.
void refuse_read_only_root(const rootfs::InRoot& root);

// In order: /etc/ld.so.conf created ("include /etc/ld.so.conf.d/*.conf") only when missing; the requested folders
// that the system search paths or the configuration do not already name go to 00-nvcr-<rand>.conf (only when any
// remain); the container's system search paths always go to zz-nvcr-<rand>.conf (a host ldconfig built with
// another default list still indexes the container's); for Alpine (/etc/alpine-release a regular file) the same
// folders are appended to /etc/ld-musl-<arch>.path. A read-only root is an Error saying so.
// Running again on the same root (a restarted container) adds nothing: a drop-in of ours (a regular file) with the
// same content is reused, and musl path lines already listed are not appended again (the reference adds new
// drop-ins and duplicate lines on every start).
LinkerConfigChange update_linker_config(const rootfs::InRoot& root, const std::vector<std::string>& folders, Arch arch);

}  // namespace gpuhooks::ldcache
