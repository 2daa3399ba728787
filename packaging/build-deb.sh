#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian packages pantry-agent and pantry-retailer from a clean copy
# of the tree, with dpkg-buildpackage and debhelper (packaging/debian/), then
# runs lintian on them. Nothing of an earlier build is reused: the copy holds
# only the files git knows (committed, or with --worktree also changed and new
# ones not ignored), with packaging/debian/ as debian/. The unit tests run
# during the build (dh_auto_test, suite unit) unless --no-check.
#
# Usage: packaging/build-deb.sh [--out DIR] [--worktree] [--no-check]
#                               [--no-retailer] [--host-arch ARCH]
#   --out DIR       where the .deb, .changes, .buildinfo, build.log and
#                   lintian.txt go (default _build/deb)
#   --worktree      build the working tree as it is, not the commit HEAD
#   --no-check      skip the unit tests (DEB_BUILD_OPTIONS=nocheck)
#   --no-retailer   build pantry-agent only (build profile
#                   pkg.pantry-agent.noretailer)
#   --host-arch ARCH  packages for ARCH (arm64, armhf) on this machine, with
#                   the cross and package-cross groups of debian-packages.txt
#                   (multiarch -dev packages on this machine); the unit tests are
#                   not run (packaging/cross-build.sh runs them under qemu)
# Exit status: 0 built and lintian found no error; 1 the build failed; 2 lintian
# reported errors. Needs: packaging/install-deps.sh build package.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/_build/deb
worktree=0
profiles=""
nocheck=""
host=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --worktree) worktree=1; shift ;;
    --no-check) nocheck=nocheck; shift ;;
    --no-retailer) profiles=pkg.pantry-agent.noretailer; shift ;;
    --host-arch) host=$2; nocheck=nocheck; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--worktree] [--no-check] [--no-retailer]" \
         "[--host-arch ARCH]" >&2
       exit 2 ;;
  esac
done

changelog=$top/packaging/debian/changelog
version=$(sed -n '1s/^pantry-agent (\([^)]*\)).*/\1/p' "$changelog")
src=$out/src/pantry-agent-$version
rm -rf "$out"
mkdir -p "$src"
case "$out" in /*) ;; *) out=$(pwd)/$out; src=$(pwd)/$src ;; esac

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
echo "build-deb: pantry-agent $version from $what in $src"

start=$(date +%s)
cd "$src"
if ! DEB_BUILD_OPTIONS="${nocheck} ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b ${host:+-a"$host"} ${profiles:+-P"$profiles"} \
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
