#!/usr/bin/env bash
# gpu-check.sh: the whole CDI path on a machine with a real NVIDIA GPU, or (--simulate) on the simulated GPU host.
# Builds gpuhooks, nvidia-cdi-hook and nvidia-container-runtime-hook, runs `gpuhooks cdi generate` against the
# driver, injects one device into a runc bundle with `gpuhooks cdi inject`, runs `nvidia-smi -L` inside with plain
# runc; then runs a bundle shaped like Docker's `--gpus all` (our prestart hook, NVIDIA_VISIBLE_DEVICES=all, no
# device entries) once through the CDI path and once through the legacy path; and prints a short table: the
# spec's summary, each container's output, and how long generate and the container runs took. With --bench N it
# then runs scripts/bench (N runs per configuration) with the same runc and busybox, the hooks indexing the real
# driver folder (the one the spec mounts libnvidia-ml from).
# The GPU machine of /work/shared/reference/gpu-host-h100.md has no network, no Docker and no runc: runc, its
# libseccomp and busybox come from Debian .deb files unpacked with `dpkg -x` (--debs; fetch them beforehand on a
# networked Debian 12 machine with --fetch-debs). How to run it: docs/gpu-check.md.
# A command named .sh against the rule of scripts/ because the project's briefs and the GPU machine's steps call it so.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
debian_packages=(runc libseccomp2 busybox-static)

usage() {
  cat <<USAGE
usage: gpu-check.sh [--simulate [--gpus N]] [--debs DIR] [--build-dir DIR] [--device NAME] [--work DIR] [--keep]
                    [--bench N]
       gpu-check.sh --fetch-debs DIR
  --simulate        use scripts/simulate-gpu-host (N GPUs, default 2) as driver and dev root instead of /
  --debs DIR        take runc, libseccomp2 and busybox-static from the .deb files in DIR (dpkg -x); default: the
                    host's runc and busybox
  --build-dir DIR   build here (default: \$GPUHOOKS_BUILD_DIR, else build-gpu-check); without cmake, DIR must
                    already hold the two binaries
  --device NAME     CDI device to inject (default: nvidia.com/gpu=0)
  --work DIR        scratch directory, kept (default: a new one under /tmp, removed at the end unless --keep)
  --bench N         afterwards, scripts/bench with N runs per configuration over the spec's driver folder
  --fetch-debs DIR  download ${debian_packages[*]} into DIR with apt-get download (needs network), then exit
USAGE
}

simulate=0 gpus=2 debs="" build=${GPUHOOKS_BUILD_DIR:-$here/build-gpu-check} device=nvidia.com/gpu=0
work="" keep=0 bench_runs=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --simulate) simulate=1; shift ;;
    --gpus) gpus=${2:?--gpus needs a number}; shift 2 ;;
    --debs) debs=$(cd "${2:?--debs needs a directory}" && pwd); shift 2 ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    --device) device=${2:?--device needs a CDI name}; shift 2 ;;
    --work) work=${2:?--work needs a directory}; keep=1; shift 2 ;;  # a directory of the caller's is never removed
    --keep) keep=1; shift ;;
    --bench)
      bench_runs=${2:?--bench needs a number of runs}
      [[ "$bench_runs" =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
      shift 2 ;;
    --fetch-debs)
      dir=${2:?--fetch-debs needs a directory}; mkdir -p "$dir"
      (cd "$dir" && apt-get download "${debian_packages[@]}")
      ls -1 "$dir"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) note "unknown argument '$1'"; usage >&2; exit 2 ;;
  esac
done
need_root "runc, device nodes"
command -v jq >/dev/null || die "jq not found"

if [[ -z "$work" ]]; then work=$(mktemp -d /tmp/gpu-check.XXXXXX); else mkdir -p "$work"; work=$(cd "$work" && pwd); fi
container_id="gpu-check-$$"
runc_state="$work/runc-state"
runc="" runc_env=()
run_runc() { env "${runc_env[@]}" "$runc" "$@"; }
remove_work() { if [[ $keep -eq 0 ]]; then rm -rf "$work"; else note "kept $work"; fi; }
remove_container() { [[ -z "$runc" ]] || run_runc --root "$runc_state" delete --force "$container_id" >/dev/null 2>&1; }
on_exit remove_work
on_exit remove_container  # runs first: runc's state lives in $work

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- 1. build ---------------------------------------------------------------------------------------------------------
mkdir -p "$build"; build=$(cd "$build" && pwd)  # the spec names the hook by absolute path
if command -v cmake >/dev/null && command -v ninja >/dev/null; then
  note "building gpuhooks, nvidia-cdi-hook and nvidia-container-runtime-hook in $build"
  GPUHOOKS_BUILD_DIR=$build build_targets gpuhooks nvidia-cdi-hook nvidia-container-runtime-hook >&2
fi
gpuhooks="$build/gpuhooks" hook="$build/nvidia-cdi-hook" prestart="$build/nvidia-container-runtime-hook"
[[ -x "$gpuhooks" && -x "$hook" && -x "$prestart" ]] ||
  die "no cmake/ninja here and $build lacks gpuhooks, nvidia-cdi-hook or nvidia-container-runtime-hook (--build-dir)"

# --- 2. runc and busybox ----------------------------------------------------------------------------------------------
if [[ -n "$debs" ]]; then
  for p in "${debian_packages[@]}"; do
    found=("$debs/${p}"_*.deb)
    deb=${found[0]}
    [[ -e "$deb" ]] || die "no ${p}_*.deb in $debs (get them with --fetch-debs on a networked Debian 12 machine)"
    dpkg -x "$deb" "$work/debs"
  done
  runc="$work/debs/usr/sbin/runc" busybox="$work/debs/bin/busybox"
  # Debian's runc links libseccomp.so.2, which the GPU host may not have (gpu-host-h100.md §9).
  runc_env=(LD_LIBRARY_PATH="$work/debs/usr/lib/x86_64-linux-gnu:$work/debs/lib/x86_64-linux-gnu")
else
  runc=$(command -v runc || true) busybox=$(command -v busybox || true)
  [[ -n "$runc" && -n "$busybox" ]] || die "runc or busybox not on PATH; give --debs DIR"
fi

# --- 3. driver root ---------------------------------------------------------------------------------------------------
if [[ $simulate -eq 1 ]]; then
  driver_root="$work/gpu-host"
  "$here/scripts/simulate-gpu-host" --out "$driver_root" --gpus "$gpus" >&2
  mode="simulated host ($gpus GPUs) in $driver_root"
else
  driver_root=/
  mode="real driver, driver root /"
fi

# --- 4. rootfs: scripts/make-busybox-rootfs ---------------------------------------------------------------------------
# Its copies of the host's glibc and ld.so run the driver's nvidia-smi, and its copy of the host's ldconfig binary
# answers `ldconfig -p` inside (gpu-host-h100.md §9).
bundle="$work/bundle"
busybox_root "$work/rootfs-template" "$busybox"

# --- 5. generate, validate --------------------------------------------------------------------------------------------
spec_dir="$work/cdi" spec="$work/cdi/nvidia.json"
mkdir -p "$spec_dir"
t0=$(now_ms)
"$gpuhooks" cdi generate --driver-root "$driver_root" --dev-root "$driver_root" --nvidia-cdi-hook-path "$hook" \
  --output "$spec"
generate_ms=$(( $(now_ms) - t0 ))
"$gpuhooks" cdi validate "$spec" >&2 || die "the generated spec is not valid"

nvidia_smi=$(jq -r '[.containerEdits.mounts[]?.containerPath | select(endswith("/nvidia-smi"))][0] // "nvidia-smi"' \
  "$spec")

# --- 6. bundle, inject, run -------------------------------------------------------------------------------------------
script="ldconfig -p | grep -F 'libnvidia-ml.so.1 '; $nvidia_smi -L; echo in-container-exit=\$?"
# A runc bundle running $script; extra jq (a filter) shapes it further.
make_bundle() {
  local dir=$1 extra=${2:-.}
  mkdir -p "$dir"
  [[ -d "$dir/rootfs" ]] || cp -a "$work/rootfs-template" "$dir/rootfs"
  (cd "$dir" && run_runc spec)
  jq --arg s "$script" '.process.terminal=false | .root.readonly=false | .process.args=["/bin/sh","-c",$s]
    | .process.env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] | '"$extra" \
    "$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}
make_bundle "$bundle"
"$gpuhooks" cdi inject --spec-dir "$spec_dir" --device "$device" --bundle "$bundle"

t0=$(now_ms)
set +e
output=$(run_runc --root "$runc_state" run --bundle "$bundle" "$container_id" </dev/null 2>&1)
rc=$?
set -e
run_ms=$(( $(now_ms) - t0 ))

# --- 7. the prestart hook, as Docker's --gpus all calls it: CDI path, then legacy path ---------------------------
declare -A prestart_rc prestart_out prestart_ms
for path in cdi legacy; do
  dir="$work/prestart-$path"
  mkdir -p "$dir"
  jq -n -r --arg root "$driver_root" --arg mode "$path" --arg specs "$spec_dir" --arg log "$dir/hook.log" \
    '"[nvidia-container-cli]\nroot = \($root | tojson)\ndebug = \($log | tojson)\nldconfig = \"@/sbin/ldconfig\"\n"
     + "[nvidia-container-runtime]\nmode = \($mode | tojson)\n"
     + "[nvidia-container-runtime.modes.cdi]\nspec-dirs = [\($specs | tojson)]"' >"$dir/config.toml"
  hook_env=$(jq -n -c --arg cfg "$dir/config.toml" '["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NVIDIA_CTK_CONFIG_FILE_PATH=" + $cfg]')
  make_bundle "$dir/bundle" '.process.env += ["NVIDIA_VISIBLE_DEVICES=all"] | .linux.devices = null
    | .hooks.prestart = [{path: "'"$prestart"'", args: ["nvidia-container-runtime-hook", "prestart"],
                          env: '"$hook_env"'}]'
  t0=$(now_ms)
  set +e
  prestart_out[$path]=$(run_runc --root "$runc_state" run --bundle "$dir/bundle" "$container_id-$path" </dev/null 2>&1)
  prestart_rc[$path]=$?
  set -e
  prestart_ms[$path]=$(( $(now_ms) - t0 ))
  run_runc --root "$runc_state" delete --force "$container_id-$path" >/dev/null 2>&1 || true
done

# --- 8. the table -----------------------------------------------------------------------------------------------------
name=${device#*=}
hooks_of() { jq -r "$1"' | [.hooks[]?.args[1]] | if length == 0 then "none" else join(", ") end' "$spec"; }
printf '%-12s %s\n' "mode" "$mode"
printf '%-12s %s\n' "spec" "$(jq -r '"cdiVersion \(.cdiVersion), kind \(.kind)"' "$spec")"
printf '%-12s %s\n' "devices" "$(jq -r '[.devices[].name] | join(", ")' "$spec")"
printf '%-12s %s\n' "common" "$(jq -r '.containerEdits | "\(.deviceNodes // [] | length) device nodes, "
  + "\(.mounts // [] | length) mounts, \(.hooks // [] | length) hooks, env \(.env // [] | join(" "))"' "$spec")"
printf '%-12s %s\n' "hooks" "$(hooks_of '.containerEdits')"
printf '%-12s %s\n' "$device" "$(jq -r --arg n "$name" '.devices[] | select(.name == $n) | .containerEdits
  | "\([.deviceNodes[]?.path] | join(" ")), \(.mounts // [] | length) mounts, \(.hooks // [] | length) hooks"' "$spec")"
printf '%-12s %s\n' "container" "runc exit $rc"
while IFS= read -r line; do printf '%-12s %s\n' "" "$line"; done <<<"$output"
for path in cdi legacy; do
  printf '%-12s %s\n' "prestart" "--gpus all shape, $path path: runc exit ${prestart_rc[$path]}, ${prestart_ms[$path]} ms"
  while IFS= read -r line; do printf '%-12s %s\n' "" "$line"; done <<<"${prestart_out[$path]}"
done
printf '%-12s %s ms\n' "generate" "$generate_ms"
printf '%-12s %s ms\n' "runc run" "$run_ms"
[[ $rc -eq 0 && "$output" == *"in-container-exit=0"* ]] || die "the container did not list the GPU"
for path in cdi legacy; do
  [[ ${prestart_rc[$path]} -eq 0 && "${prestart_out[$path]}" == *"in-container-exit=0"* ]] ||
    die "the prestart hook's $path path did not give the container its GPUs"
done

# --- 9. optional: the hook benchmark on this machine ------------------------------------------------------------------
if [[ $bench_runs -gt 0 ]]; then
  ml=$(jq -r '[.. | objects | .hostPath? // empty | select(test("/libnvidia-ml\\.so\\.[0-9]"))][0] // empty' "$spec")
  [[ -n "$ml" ]] || die "the spec mounts no libnvidia-ml.so.<version>; no driver folder for --bench"
  echo
  GPUHOOKS_BUILD_DIR="$build" GPUHOOKS_RUNC="$runc" GPUHOOKS_BUSYBOX="$busybox" env "${runc_env[@]}" \
    "$here/scripts/bench" --driver-dir "$(dirname "$ml")" "$bench_runs"
fi
