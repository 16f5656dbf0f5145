#!/usr/bin/env bash
# test-packages.sh: builds the .deb and the .rpm (scripts/package) and checks them, installed on this machine, as
# rules: one line "ok RULE" or "FAIL RULE: why" each, a summary last, exit 1 if any rule failed. scripts/test runs it
# after ctest. It installs, upgrades, removes and purges the package here, so it needs root; not root, it is skipped
# with a message (exit 0). A gpuhooks or NVIDIA toolkit package already installed stops it: it would be replaced.
# Needs the e2e binary tests/e2e_prestart_docker_test in the build dir (scripts/test builds everything first; run alone,
# this builds it).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
if [[ $(id -u) -ne 0 ]]; then
  note "skipped: must run as root (it installs, upgrades and purges the .deb on this machine)"
  exit 0
fi
for p in gpuhooks nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
    die "$p is installed: this test installs and purges gpuhooks, which would replace it"
  fi
done
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -y -q -o DPkg::Lock::Timeout=300 "$@"; }

tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
# Whatever happens, the machine is left without the package (and without the models of NVIDIA's, below).
on_exit sh -c 'dpkg-query -W gpuhooks nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools \
  >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 gpuhooks \
  nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools >/dev/null 2>&1; true'

passed=0
failed=()
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed+=("$1"); }
# rule NAME COMMAND...: COMMAND's output is kept and shown only when it fails.
rule() {
  local name=$1 out status=0
  shift
  out=$("$@" 2>&1) || status=$?
  if [[ $status -eq 0 ]]; then ok "$name"; else fail "$name" "exit $status"$'\n'"$(tail -n 30 <<<"$out")"; fi
}
want() { [[ $1 == "$2" ]] || { printf 'expected:\n%s\ngot:\n%s\n' "$2" "$1"; return 1; }; }

say "building the packages"
"$here/scripts/package" | tee "$tmp/package.out"
pkgdir=$(tail -n 1 "$tmp/package.out")
deb=$(echo "$pkgdir"/gpuhooks_*.deb)
rpm=$(echo "$pkgdir"/gpuhooks-*.rpm)
[[ -f $deb && -f $rpm ]] || die "scripts/package left no .deb or no .rpm in $pkgdir"
build=$(build_dir)
docker_test=$build/tests/e2e_prestart_docker_test
[[ -x $docker_test ]] || build_targets e2e_prestart_docker_test

say "checking the packages"
# The files the package installs (no directories), with mode and type. The .rpm holds the same, the units under
# /usr/lib/systemd/system (the same directory on a merged /usr) and without Debian's own usr/share/doc and
# usr/share/lintian.
expected_files="/etc/nvidia-container-runtime/config.toml 644 regular file
/lib/systemd/system/gpuhooks-cdi-refresh.path 644 regular file
/lib/systemd/system/gpuhooks-cdi-refresh.service 644 regular file
/usr/bin/gpuhooks 755 regular file
/usr/bin/nvidia-cdi-hook 755 regular file
/usr/bin/nvidia-container-runtime-hook 755 regular file
/usr/bin/nvidia-ctk 777 symbolic link -> nvidia-cdi-hook
/usr/libexec/gpuhooks/cdi-refresh 755 regular file
/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json 644 regular file
/usr/share/doc/gpuhooks/changelog.gz 644 regular file
/usr/share/doc/gpuhooks/copyright 644 regular file
/usr/share/lintian/overrides/gpuhooks 644 regular file
/usr/share/man/man1/gpuhooks.1.gz 644 regular file
/usr/share/man/man1/nvidia-cdi-hook.1.gz 644 regular file
/usr/share/man/man1/nvidia-container-runtime-hook.1.gz 644 regular file
/usr/share/man/man1/nvidia-ctk.1.gz 777 symbolic link -> nvidia-cdi-hook.1.gz"

rule lintian-no-errors-or-warnings lintian --fail-on error,warning "$deb"
rule rpmlint-no-errors rpmlint -r "$here/rpm/gpuhooks.rpmlintrc" "$rpm"

deb_files() { dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($6, 2)}' | sort; }
rpm_as_deb_files() {
  rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null | awk '$1 !~ /^d/ {print $2}' |
    sed 's|^/usr/lib/systemd/|/lib/systemd/|' | sort
}
rule deb-holds-exactly-the-expected-files want "$(deb_files)" "$(cut -d' ' -f1 <<<"$expected_files")"
rule rpm-holds-the-files-of-the-deb want "$(rpm_as_deb_files)" "$(deb_files | grep -Ev '^/usr/share/(doc|lintian)/')"

# Built once: every file of the .rpm is the .deb's, byte for byte (links: the same target).
same_bytes() {
  mkdir -p "$tmp/x/deb" "$tmp/x/rpm"
  dpkg-deb -x "$deb" "$tmp/x/deb"
  (cd "$tmp/x/rpm" && rpm2cpio "$rpm" | cpio -idm --quiet)
  mkdir -p "$tmp/x/deb/usr/lib/systemd"
  mv "$tmp/x/deb/lib/systemd/system" "$tmp/x/deb/usr/lib/systemd/"
  rm -rf "$tmp/x/deb/usr/share/doc" "$tmp/x/deb/usr/share/lintian" "$tmp/x/deb/lib"
  diff -r --no-dereference "$tmp/x/deb" "$tmp/x/rpm"
}
rule rpm-files-are-the-deb-files-byte-for-byte same_bytes

# The hooks.d file is exactly what `gpuhooks runtime configure --config-mode oci-hook --oci-hook-when annotation`
# writes (one definition: common/config/oci_hook_file.cpp), the shape the podman e2e test runs.
hooks_d_shape() {
  local expected
  expected=$("$build/gpuhooks" runtime configure --runtime crio --config-mode oci-hook --oci-hook-when annotation \
    --dry-run 2>/dev/null)
  want "$(jq -cS . "$tmp/x/rpm/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json")" "$(jq -cS . <<<"$expected")"
}
rule hooks-d-file-has-the-packaged-shape hooks_d_shape

# config.toml lists every key the hook reads (the r.get calls of common/config/hook_config.cpp), and no other.
config_keys() {
  awk '/^\[/ {gsub(/[][]/, ""); section = $0 "."; next}
       /^#[a-z][a-z-]* = / {sub(/^#/, ""); print section $1}' "$here/packaging/config.toml" | sort
}
source_keys() { grep -o 'r\.get("[^"]*"' "$here/common/config/hook_config.cpp" | sed 's/r\.get("//; s/"$//' | sort; }
rule config-toml-lists-every-key-the-hook-reads want "$(config_keys)" "$(source_keys)"

# A container that asks for no GPU: the hook reads its config first, then does nothing for it.
mkdir -p "$tmp/bundle/rootfs"
echo '{"ociVersion":"1.0.2","process":{"env":["PATH=/bin"],"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}}' \
  >"$tmp/bundle/config.json"
state="{\"ociVersion\":\"1.0.2\",\"id\":\"pkg-test\",\"pid\":1,\"bundle\":\"$tmp/bundle\",\"status\":\"creating\"}"
prestart_with() { /usr/bin/nvidia-container-runtime-hook -config "$1" prestart <<<"$state"; }

say "installing $deb"
find_state() {
  # What the package may touch. Left out, as things that change whatever is installed: /etc/ld.so.cache (ldconfig
  # triggers), /usr/lib/python3* bytecode caches. apt's and dpkg's own records (/var/lib/dpkg, /var/cache, /var/log)
  # are outside these dirs.
  local dirs=() d
  for d in /usr /etc /var/run/cdi /var/lib/systemd; do [[ -e $d ]] && dirs+=("$d"); done
  find "${dirs[@]}" -xdev \( -path /etc/ld.so.cache -o -name __pycache__ -prune \) -o -printf '%p %y %m\n' | sort
}
find_state >"$tmp/before"
apt_get install "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; die "apt-get install $deb failed"; }
rule install-says-it-installed grep -q '^Setting up gpuhooks ' "$tmp/install.log"

installed_files() {
  local f
  while read -r f; do
    [[ -d $f ]] && continue  # a directory, or a link to one such as /lib on a merged /usr
    if [[ -L $f ]]; then echo "$f $(stat -c '%a %F' "$f") -> $(readlink "$f")"; else echo "$f $(stat -c '%a %F' "$f")"; fi
  done < <(dpkg -L gpuhooks) | sort
}
rule installed-files-and-modes want "$(installed_files)" "$expected_files"
conffiles() { dpkg-query -W -f='${Conffiles}\n' gpuhooks | awk 'NF {print $1}'; }
rule config-toml-is-the-only-conffile want "$(conffiles)" /etc/nvidia-container-runtime/config.toml
rule units-enabled-at-install test -L /etc/systemd/system/multi-user.target.wants/gpuhooks-cdi-refresh.service \
  -a -L /etc/systemd/system/multi-user.target.wants/gpuhooks-cdi-refresh.path
rule systemd-analyze-verify-passes systemd-analyze verify /lib/systemd/system/gpuhooks-cdi-refresh.service \
  /lib/systemd/system/gpuhooks-cdi-refresh.path
if [[ -e /proc/driver/nvidia/version ]]; then
  rule postinst-wrote-the-spec-for-this-hosts-driver gpuhooks cdi validate /var/run/cdi/nvidia.yaml
else
  no_driver_notice() {
    want "$(grep -c '^gpuhooks-cdi-refresh: no NVIDIA driver loaded' "$tmp/install.log")" 1 &&
      test ! -e /var/run/cdi/nvidia.yaml
  }
  rule postinst-without-a-driver-says-so-in-one-line-and-writes-no-spec no_driver_notice
fi

rule versions-of-the-installed-commands want "$(/usr/bin/gpuhooks --version; /usr/bin/nvidia-container-runtime-hook -version
  /usr/bin/nvidia-cdi-hook --version; /usr/bin/nvidia-ctk hook --version)" "gpuhooks 0.1.0
NVIDIA Container Runtime Hook version 0.1.0 (gpuhooks)
NVIDIA CDI Hook version 0.1.0 (gpuhooks)
NVIDIA CDI Hook version 0.1.0 (gpuhooks)"

# Each man page has every flag its command's --help lists (help2man made it from that --help).
man_has_flags() {
  local exe=$1 page flag missing=""
  page=$(zcat "/usr/share/man/man1/$exe.1.gz" | sed 's/\\-/-/g')
  grep -q '^\.SH NAME' <<<"$page" || { echo "$exe.1: no NAME section"; return 1; }
  for flag in $("/usr/bin/$exe" --help 2>&1 | grep -oE '(^|[ ,[])--?[a-z][a-z-]*' | sed 's/^[ ,[]//' | sort -u); do
    grep -qF -- "$flag" <<<"$page" || missing+=" $flag"
  done
  [[ -z $missing ]] || { echo "$exe.1 lacks:$missing"; return 1; }
}
for exe in gpuhooks nvidia-cdi-hook nvidia-container-runtime-hook; do rule "man-page-has-the-flags-of-$exe" man_has_flags "$exe"; done
rule nvidia-ctk-man-page-is-the-hooks want "$(zcat /usr/share/man/man1/nvidia-ctk.1.gz)" "$(zcat /usr/share/man/man1/nvidia-cdi-hook.1.gz)"

rule hook-accepts-the-packaged-config-toml prestart_with /etc/nvidia-container-runtime/config.toml
sed -E 's/^#([a-z][a-z-]* = )/\1/' /etc/nvidia-container-runtime/config.toml >"$tmp/uncommented.toml"
rule hook-accepts-the-config-toml-with-every-default-uncommented prestart_with "$tmp/uncommented.toml"
# The control: the hook does read the file; a bad value is its one-line error naming the key, exit 1.
sed 's/^#mode = "auto"/mode = "bogus"/' /etc/nvidia-container-runtime/config.toml >"$tmp/bad.toml"
bad_config_fails() {
  local out status=0
  out=$(prestart_with "$tmp/bad.toml" 2>&1) || status=$?
  [[ $status -eq 1 && $out == *'nvidia-container-runtime.mode: "bogus" is not one of auto, cdi, legacy'* ]] ||
    { echo "exit $status: $out"; return 1; }
}
rule hook-rejects-a-bad-value-in-the-config-toml bad_config_fails

# Docker's --gpus against the simulated GPU host, served by the installed hooks (dockerd finds
# /usr/bin/nvidia-container-runtime-hook on its PATH; the harness: tests/e2e/harness/docker.h).
rule docker-gpus-e2e-with-the-installed-hooks env GPUHOOKS_TEST_BIN_DIR=/usr/bin \
  "$docker_test" --gtest_brief=1

# The spec service's program, on a root without a driver and on the simulated GPU host (NVIDIA_CTK_DRIVER_ROOT).
"$here/scripts/simulate-gpu-host" --out "$tmp/host" --gpus 2 >/dev/null
refresh_without_driver() {
  local out
  out=$(NVIDIA_CTK_DRIVER_ROOT=$tmp/bundle/rootfs /usr/libexec/gpuhooks/cdi-refresh)
  want "$out" "gpuhooks-cdi-refresh: no NVIDIA driver loaded ($tmp/bundle/rootfs/proc/driver/nvidia/version is absent): no CDI spec written" &&
    test ! -e /var/run/cdi/nvidia.yaml
}
rule cdi-refresh-without-a-driver-exits-0-with-one-line refresh_without_driver
refresh_with_driver() {
  NVIDIA_CTK_DRIVER_ROOT=$tmp/host /usr/libexec/gpuhooks/cdi-refresh &&
    want "$(/usr/bin/gpuhooks cdi list --spec-dir /var/run/cdi)" "nvidia.com/gpu=0
nvidia.com/gpu=1
nvidia.com/gpu=GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3a
nvidia.com/gpu=GPU-c0c5192c-a02a-5644-bcac-2082e5de7b3b
nvidia.com/gpu=all"
}
rule cdi-refresh-with-a-driver-writes-the-spec refresh_with_driver

say "upgrading over the installed package"
# An edited conffile survives a reinstall of the same package (dpkg keeps it without asking: the package's copy did
# not change), and an upgrade whose copy did change, under --force-confold (the package's copy lands beside it as
# .dpkg-dist). The upgrade is this .deb repacked as version 0.1.0+1 with one more comment line in config.toml.
edit='mode = "legacy"  # edited by test-packages.sh'
sed -i "s/^#mode = \"auto\"\$/$edit/" /etc/nvidia-container-runtime/config.toml
dpkg-deb -R "$deb" "$tmp/next"
sed -i 's/^Version: .*/Version: 0.1.0+1/' "$tmp/next/DEBIAN/control"
echo "# 0.1.0+1" >>"$tmp/next/etc/nvidia-container-runtime/config.toml"
(cd "$tmp/next" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -b "$tmp/next" "$tmp/gpuhooks_0.1.0+1_amd64.deb" >/dev/null
edit_kept() { grep -qxF "$edit" /etc/nvidia-container-runtime/config.toml; }
reinstall() { apt_get install --reinstall "$deb" && edit_kept; }
rule reinstall-keeps-the-edited-conffile reinstall
upgrade() {
  apt_get -o Dpkg::Options::=--force-confold install "$tmp/gpuhooks_0.1.0+1_amd64.deb" &&
    want "$(dpkg-query -W -f='${Version}' gpuhooks)" 0.1.0+1 && edit_kept &&
    grep -qxF '# 0.1.0+1' /etc/nvidia-container-runtime/config.toml.dpkg-dist
}
rule upgrade-with-force-confold-keeps-the-edited-conffile upgrade

say "removing and purging"
# The spec written above is the package's output: remove takes it away; the conffile stays until purge.
NVIDIA_CTK_DRIVER_ROOT=$tmp/host /usr/libexec/gpuhooks/cdi-refresh >/dev/null 2>&1
remove() {
  test -e /var/run/cdi/nvidia.yaml && apt_get remove gpuhooks &&
    test ! -e /usr/bin/nvidia-cdi-hook -a ! -L /usr/bin/nvidia-ctk -a ! -e /lib/systemd/system/gpuhooks-cdi-refresh.service &&
    test ! -e /var/run/cdi/nvidia.yaml
}
rule remove-takes-the-binaries-the-units-and-the-spec remove
rule remove-keeps-the-conffile edit_kept
purge() { apt_get purge gpuhooks && test ! -e /etc/nvidia-container-runtime; }
rule purge-takes-the-conffile-and-its-dpkg-dist purge
find_state >"$tmp/after"
rule purge-leaves-usr-etc-and-var-run-cdi-as-before diff "$tmp/before" "$tmp/after"

say "replacing NVIDIA's packages, and being replaced by them"
# Models of NVIDIA's three packages (their names, their commands, config.toml as a conffile), so the package
# relations are tested both ways without NVIDIA's archive.
fake() {
  local name=$1 depends=$2 d=$tmp/fake/$1 f
  shift 2
  mkdir -p "$d/DEBIAN"
  printf 'Package: %s\nVersion: 1.17.8-1\nArchitecture: all\nMaintainer: test <test@example.invalid>\n%sDescription: model of NVIDIA'"'"'s package\n' \
    "$name" "$depends" >"$d/DEBIAN/control"
  for f in "$@"; do
    install -D -m 755 /dev/null "$d/$f"
    echo "$name" >"$d/$f"
  done
  if [[ -d $d/etc ]]; then
    chmod 644 "$d"/etc/nvidia-container-runtime/config.toml
    echo /etc/nvidia-container-runtime/config.toml >"$d/DEBIAN/conffiles"
  fi
  dpkg-deb --root-owner-group -b "$d" "$tmp/fake/$name.deb" >/dev/null
}
fake libnvidia-container-tools "" usr/bin/nvidia-container-cli
fake nvidia-container-toolkit-base "" usr/bin/nvidia-ctk usr/bin/nvidia-cdi-hook etc/nvidia-container-runtime/config.toml
fake nvidia-container-toolkit $'Depends: nvidia-container-toolkit-base (= 1.17.8-1), libnvidia-container-tools\n' \
  usr/bin/nvidia-container-runtime-hook
nvidia_debs=("$tmp"/fake/*.deb)
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | cut -c1-2; }
statuses() { for p in gpuhooks nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools; do echo "$p $(status_of "$p")"; done; }
apt_get install "${nvidia_debs[@]}" >/dev/null 2>&1 || die "installing the models of NVIDIA's packages failed"
ours_over_theirs() { apt_get install "$deb" && /usr/bin/nvidia-container-runtime-hook -version | grep -q gpuhooks; }
rule gpuhooks-replaces-nvidias-packages ours_over_theirs
# Removed, not purged: only the one with a conffile keeps a record (rc).
rule after-gpuhooks-replaced-them want "$(statuses)" "gpuhooks ii
nvidia-container-toolkit un
nvidia-container-toolkit-base rc
libnvidia-container-tools un"
theirs_over_ours() {
  apt_get install "${nvidia_debs[@]}" && want "$(cat /usr/bin/nvidia-container-runtime-hook)" nvidia-container-toolkit
}
rule nvidias-packages-replace-gpuhooks theirs_over_ours
rule after-nvidias-replaced-gpuhooks want "$(statuses)" "gpuhooks rc
nvidia-container-toolkit ii
nvidia-container-toolkit-base ii
libnvidia-container-tools ii"
apt_get purge gpuhooks nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools >/dev/null 2>&1

say "the .rpm in a root without systemd"
"$here/scripts/make-busybox-rootfs" "$tmp/rpmroot" >/dev/null
rpm_install() {
  local out
  out=$(rpm -i --nodeps --root "$tmp/rpmroot" "$rpm" 2>&1 | grep -v '^rpm: ') || true
  want "$out" "gpuhooks-cdi-refresh: no NVIDIA driver loaded (/proc/driver/nvidia/version is absent): no CDI spec written" &&
    rpm --root "$tmp/rpmroot" -q gpuhooks >/dev/null &&
    test -x "$tmp/rpmroot/usr/bin/nvidia-cdi-hook" -a -L "$tmp/rpmroot/usr/bin/nvidia-ctk" &&
    test "$(stat -c %a "$tmp/rpmroot/etc/nvidia-container-runtime/config.toml")" = 644
}
rule rpm-installs-into-a-root-without-systemd-and-its-scriptlets-succeed rpm_install
rpm_erase() {
  local out
  out=$(rpm -e --root "$tmp/rpmroot" gpuhooks 2>&1 | grep -v '^rpm: ') || true
  want "$out" "" && test ! -e "$tmp/rpmroot/usr/bin/nvidia-cdi-hook"
}
rule rpm-erases-from-that-root-and-its-scriptlets-succeed rpm_erase

echo
if ((${#failed[@]})); then
  echo "package tests: ${#failed[@]} of $((passed + ${#failed[@]})) rules FAILED: ${failed[*]}"
  exit 1
fi
echo "package tests: all $passed rules passed"
