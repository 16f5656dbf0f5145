# shellcheck shell=bash
# lib.sh: sourced by the commands in scripts/ for what they share, so each says only what is its own.
#   here                  the checkout's root
#   note MSG / die MSG    one line "<command>: MSG" on stderr; die then exits 1
#   say MSG               a progress heading on stdout ("== MSG" after a blank line)
#   need_root WHY         die unless running as root
#   on_exit CMD [ARG...]  run CMD at exit, after the ones registered later (the reverse of registration order)
#   build_dir             the build directory: $GPUHOOKS_BUILD_DIR, else build/
#   build_targets [T...]  scripts/build (only the targets T, or everything) showing ninja's [n/N] lines; the full
#                         log is shown only when the build fails
#   busybox_root DIR [BUSYBOX]
#                         scripts/make-busybox-rootfs DIR, with BUSYBOX as the static busybox when given
# The callers set `set -euo pipefail` themselves, before sourcing this file.
# Naming: the commands in scripts/ have no suffix; a file that is only sourced, like this one, ends in .sh.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Messages are prefixed with the command's name without .sh: "gpu-check: ...", "demo: ...".
_lib_command=$(basename "$0" .sh)

note() { printf '%s: %s\n' "$_lib_command" "$*" >&2; }
die() { note "$@"; exit 1; }
say() { printf '\n== %s\n' "$*"; }
need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root ($*)"; }

_lib_exit_commands=()
_lib_run_exit_commands() {
  local status=$? i
  for ((i = ${#_lib_exit_commands[@]} - 1; i >= 0; i--)); do eval "${_lib_exit_commands[i]}" || true; done
  # Without this, the last cleanup command's status would become the script's.
  exit "$status"
}
on_exit() {
  local command
  printf -v command '%q ' "$@"  # the arguments' values now, so a later change of a variable cannot redirect it
  _lib_exit_commands+=("$command")
  trap _lib_run_exit_commands EXIT
}

build_dir() { echo "${GPUHOOKS_BUILD_DIR:-$here/build}"; }

build_targets() {
  local log status=0
  log=$(mktemp)
  # sed, not grep: a build with nothing to do prints no [n/N] line, and grep would then fail the pipeline.
  "$here/scripts/build" "$@" 2>&1 | tee "$log" | sed -u -n '/^\[[0-9]*\/[0-9]*\] /p' || status=$?
  if [[ $status -ne 0 ]]; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    die "build failed (log above)"
  fi
  rm -f "$log"
}

busybox_root() {
  if [[ $# -ge 2 ]]; then
    GPUHOOKS_BUSYBOX=$2 "$here/scripts/make-busybox-rootfs" "$1"
  else
    "$here/scripts/make-busybox-rootfs" "$1"
  fi
}
