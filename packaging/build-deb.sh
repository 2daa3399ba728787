#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian packages pantry-agent and pantry-retailer for one Debian
# release (bookworm, Debian 12 and Raspberry Pi OS 12; trixie, 13) and one
# architecture (amd64, arm64, armhf) from a clean copy of the tree, with
# dpkg-buildpackage and debhelper (packaging/debian/), then runs lintian on
# them. Nothing of an earlier build is reused: the copy holds only the files git
# knows (committed, or with --worktree also changed and new ones not ignored),
# with packaging/debian/ as debian/, and its changelog's version gets the
# release's suffix (0.1.0+deb12, 0.1.0+deb13: a trixie package is newer than a
# bookworm one) and distribution.
#
# The machine's own release and architecture (Debian 12, amd64 here) build
# natively with the machine's packages, and the unit tests run during the build
# (dh_auto_test, suite unit) unless --no-check. Every other one builds against a
# sysroot of that release's packages (packaging/cross-sysroot.sh, reused when
# under a day old) with the cross files packaging/cross-build.sh tests with
# (dpkg-buildpackage -a ARCH -d: the build dependencies are in the sysroot, not
# installed), without the tests (cross-build.sh runs them under qemu), and
# dpkg-shlibdeps takes the Depends from the sysroot's libraries and their
# symbols and shlibs files, so they name that release's packages.
#
# Usage: packaging/build-deb.sh [--release RELEASE] [--host-arch ARCH]
#                               [--out DIR] [--worktree] [--no-check]
#                               [--no-retailer]
#   --release RELEASE  bookworm or trixie (default: the machine's)
#   --host-arch ARCH   amd64, arm64 or armhf (default: the machine's)
#   --out DIR       where the .deb, .changes, .buildinfo, build.log and
#                   lintian.txt go (default _build/deb/RELEASE-ARCH)
#   --worktree      build the working tree as it is, not the commit HEAD
#   --no-check      skip the unit tests (DEB_BUILD_OPTIONS=nocheck)
#   --no-retailer   build pantry-agent only (build profile
#                   pkg.pantry-agent.noretailer)
# Exit status: 0 built and lintian found no error; 1 the build failed; 2 lintian
# reported errors; 3 it cannot be built here: no sysroot (apt's reason) or no
# compiler, said on the last line of stderr and in DIR/skipped.txt; 4 bad usage.
# Needs: packaging/install-deps.sh build package (and cross for a sysroot build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=""
worktree=0
profiles=""
nocheck=""
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null || true)
release=$codename
host=$(dpkg --print-architecture)
usage="usage: $0 [--release bookworm|trixie] [--host-arch amd64|arm64|armhf]
       [--out DIR] [--worktree] [--no-check] [--no-retailer]"
while [ $# -gt 0 ]; do
  case "$1" in
    --release) [ $# -ge 2 ] || { echo "$usage" >&2; exit 4; }; release=$2; shift 2 ;;
    --host-arch) [ $# -ge 2 ] || { echo "$usage" >&2; exit 4; }; host=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || { echo "$usage" >&2; exit 4; }; out=$2; shift 2 ;;
    --worktree) worktree=1; shift ;;
    --no-check) nocheck=nocheck; shift ;;
    --no-retailer) profiles=pkg.pantry-agent.noretailer; shift ;;
    *) echo "$usage" >&2; exit 4 ;;
  esac
done
case "$release" in
  bookworm) suffix=+deb12 ;;
  trixie) suffix=+deb13 ;;
  *) echo "build-deb: unknown release '$release' (bookworm, trixie)" >&2; exit 4 ;;
esac
case "$host" in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *) echo "build-deb: unknown architecture '$host' (amd64, arm64, armhf)" >&2; exit 4 ;;
esac
target=$release-$host
[ -n "$out" ] || out=$top/_build/deb/$target
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac

changelog=$top/packaging/debian/changelog
upstream=$(sed -n '1s/^pantry-agent (\([^)]*\)).*/\1/p' "$changelog")
version=$upstream$suffix
src=$out/src/pantry-agent-$upstream
rm -rf "$out"
mkdir -p "$src"

# Cannot be built on this machine: say why (exit 3, which tests/check.sh counts
# as a skip with this reason).
cannot() {
  printf '%s\n' "$1" >"$out/skipped.txt"
  echo "build-deb: $target cannot be built here: $1" >&2
  exit 3
}

# Not the machine's own release and architecture: against a sysroot.
sysroot=""
machine=$codename-$(dpkg --print-architecture)
if [ "$target" != "$machine" ]; then
  gcc=gcc
  [ "$host" = "$(dpkg --print-architecture)" ] || gcc=$triplet-gcc
  command -v "$gcc" >/dev/null 2>&1 ||
    cannot "no $gcc (packaging/install-deps.sh cross)"
  if ! "$top/packaging/cross-sysroot.sh" "$release" "$host"; then
    cannot "no sysroot: $(cat "$top/_build/sysroot/$target.failed" 2>/dev/null ||
      echo "packaging/cross-sysroot.sh $release $host failed")"
  fi
  sysroot=$top/_build/sysroot/$target
  nocheck=nocheck
fi

# The clean copy. Without git (a release tarball) the tree is copied less _build.
cd "$top"
if git rev-parse --git-dir >/dev/null 2>&1; then
  if [ "$worktree" = 1 ]; then
    git ls-files -z --cached --others --exclude-standard |
      xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
      tar --null -T - -cf - | tar -xf - -C "$src"
    what="the working tree"
  else
    git archive HEAD | tar -xf - -C "$src"
    what="commit $(git rev-parse --short HEAD)"
  fi
else
  tar --exclude=./_build -cf - . | tar -xf - -C "$src"
  what="$top"
fi
cp -r packaging/debian "$src/debian"
# The release's version and distribution on the newest entry.
sed -i "1s/^pantry-agent ([^)]*) [a-z-]*;/pantry-agent ($version) $release;/" \
  "$src/debian/changelog"
echo "build-deb: pantry-agent $version for $release $host from $what in $src" \
  "${sysroot:+against $sysroot}"

start=$(date +%s)
cd "$src"
# -d: against a sysroot the build dependencies are there, not installed.
if ! DEB_BUILD_OPTIONS="${nocheck} ${DEB_BUILD_OPTIONS:-}" PANTRY_SYSROOT="$sysroot" \
    dpkg-buildpackage -us -uc -b -a"$host" ${sysroot:+-d} ${profiles:+-P"$profiles"} \
    >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log"
  echo "build-deb: dpkg-buildpackage failed (whole log: $out/build.log)"
  exit 1
fi
cd "$out"
mv src/*.deb src/*.changes src/*.buildinfo .
echo "build-deb: built in $(($(date +%s) - start)) s:"
for deb in *.deb; do
  printf '  %s  %s bytes (installed %s KiB)\n' "$deb" "$(stat -c %s "$deb")" \
    "$(dpkg-deb -f "$deb" Installed-Size)"
done

# lintian on the .changes: both packages and the .buildinfo. Warnings are
# printed and kept; errors fail.
changes=$(ls ./*.changes)
if lintian --info --display-level ">=warning" --fail-on error "$changes" \
    >lintian.txt 2>&1; then
  lintian_ok=1
else
  lintian_ok=0
fi
echo "build-deb: lintian: $(grep -c '^E:' lintian.txt || true) errors," \
  "$(grep -c '^W:' lintian.txt || true) warnings ($out/lintian.txt)"
grep -E '^(E|W):' lintian.txt | sort | uniq -c || true
[ "$lintian_ok" = 1 ] || exit 2
