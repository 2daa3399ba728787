#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages of the given groups (see debian-packages.txt) that
# are not installed yet, with apt-get (through sudo when not root). Safe to run
# any number of times: with everything present it changes nothing and asks for
# nothing. Only the machine's own architecture: the sysroot groups are not for
# it, those are the packages of a Debian release and architecture that
# packaging/cross-sysroot.sh downloads and unpacks for the cross builds and
# the .deb builds for a Pi (packaging/cross-build.sh, build-deb.sh), never
# installed on the machine; their compilers and qemu-user are the group cross.
#
# A package that cannot be installed stops nothing else. The package lists are
# refreshed when they are a day old, or when an install fails, with `apt-get
# update` tried 3 times (INSTALL_DEPS_TRIES) a few seconds apart: a Debian mirror
# in the middle of a sync ("File has unexpected size ... Mirror sync in
# progress?") serves an incomplete index for a minute or two. Each group is
# installed on its own, and a group that fails one package at a time, so one
# group that cannot be installed does not keep the others out. At the end every package that is still missing is named with apt's
# reason, on stderr and, with --report FILE, in FILE (one "PACKAGE<TAB>REASON"
# line each; empty when all are installed), which tests/check.sh reads to skip
# the stages that need them.
#
# Usage: packaging/install-deps.sh [--report FILE] GROUP...   (default: build)
# Exit status: 0 every package of the groups is installed; 1 some could not be
# installed (named above); 2 bad usage.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
report=""
if [ "${1:-}" = "--report" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [--report FILE] GROUP..." >&2; exit 2; }
  report=$2
  shift 2
fi
[ $# -gt 0 ] || set -- build
tries=${INSTALL_DEPS_TRIES:-3}

for group in "$@"; do
  if [ "${group%%-*}" = sysroot ]; then
    echo "install-deps: the $group group is not installed: packaging/cross-sysroot.sh" \
      "downloads it for the cross builds" >&2
    exit 2
  fi
  if ! awk -v g="$group" '$1 == g {found = 1} END {exit !found}' \
      "$here/debian-packages.txt"; then
    echo "install-deps: unknown group '$group' (see $here/debian-packages.txt)" >&2
    exit 2
  fi
done

installed() {
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
    *"install ok installed"*) return 0 ;;
    *) return 1 ;;
  esac
}

# The packages of a group that are not installed, one a line.
missing_of() {
  # shellcheck disable=SC2013
  for pkg in $(awk -v g="$1" '$1 == g {print $2}' "$here/debian-packages.txt"); do
    installed "$pkg" || echo "$pkg"
  done
}

update_note=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/failed"

# The report, written whole or not at all.
finish() {
  if [ -n "$report" ]; then
    mkdir -p "$(dirname "$report")"
    cp "$tmp/failed" "$report.tmp" && mv "$report.tmp" "$report"
  fi
  if [ -s "$tmp/failed" ]; then
    echo "install-deps: $(wc -l <"$tmp/failed") packages could not be installed:" >&2
    sed 's/^\([^\t]*\)\t/install-deps:   \1: /' "$tmp/failed" >&2
    if [ -n "$update_note" ]; then
      echo "install-deps: the package lists could not be refreshed, which may be" \
        "why: $update_note" >&2
      [ -z "$report" ] || printf '(apt-get update)\t%s\n' "$update_note" >>"$report"
    fi
    exit 1
  fi
  exit 0
}

# PACKAGE REASON: remember a package that is not installed and why.
failed() {
  printf '%s\t%s\n' "$1" "$2" >>"$tmp/failed"
}

all_missing=""
for group in "$@"; do
  all_missing="$all_missing $(missing_of "$group" | tr '\n' ' ')"
done
# shellcheck disable=SC2086
all_missing=$(printf '%s\n' $all_missing | awk 'NF && !seen[$0]++' | tr '\n' ' ')
[ -n "${all_missing% }" ] || finish

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  for pkg in $all_missing; do
    failed "$pkg" "not installed, and installing needs root or sudo"
  done
  finish
fi
echo "install-deps: installing $all_missing"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt (unattended-upgrades on a fresh machine) instead of failing.
apt_get() {
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"
}

# apt-get update, tried $tries times with a growing pause; on the last failure
# its error lines are kept for the reasons of the packages that still fail.
updated=""
update_lists() {
  updated=1
  n=1
  while :; do
    if apt_get update -qq >"$tmp/update.log" 2>&1; then
      update_note=""
      return 0
    fi
    if [ "$n" -ge "$tries" ]; then
      update_note=$(grep -E '^(E|W): ' "$tmp/update.log" | grep -v 'Some index files' |
        head -n 2 | sed 's/^[EW]: //' | tr '\n' ' ' | sed 's/  */ /g; s/ $//')
      echo "install-deps: apt-get update failed $n times; going on with the lists" \
        "there are: $update_note" >&2
      return 1
    fi
    echo "install-deps: apt-get update failed (try $n of $tries); again in" \
      "$((n * 3)) s" >&2
    sleep $((n * 3))
    n=$((n + 1))
  done
}

# apt's reason for a package from the log of its failed install: the unmet
# dependencies it lists (what cannot be installed, and why), else its last
# error line.
reason() {
  why=$(sed -n '/unmet dependencies:$/,/^E: /p' "$tmp/install.log" |
    sed -n 's/^ \{1,\}\(.*[^ ]\) *$/\1/p' | head -n 3 | tr '\n' ';' |
    sed 's/;$//; s/;/; /g')
  [ -n "$why" ] || why=$(grep -E '^E: ' "$tmp/install.log" | tail -n 1 | sed 's/^E: //')
  [ -n "$why" ] || why="apt-get install failed: $(tail -n 1 "$tmp/install.log")"
  printf '%s' "$why"
}

apt_install() {
  # shellcheck disable=SC2086
  apt_get install -y -q --no-install-recommends "$@" >"$tmp/install.log" 2>&1
}

# An apt cache that is empty or a day old may not know the packages: refresh it.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]
then
  update_lists || true
fi

for group in "$@"; do
  # Packages of two groups (mosquitto, systemd) may be in by now.
  pkgs=$(missing_of "$group" | tr '\n' ' ')
  [ -n "${pkgs% }" ] || continue
  # shellcheck disable=SC2086
  apt_install $pkgs && continue
  # Lists older than this run may be the reason: refresh once, then try again.
  if [ -z "$updated" ]; then
    update_lists || true
    # shellcheck disable=SC2086
    apt_install $pkgs && continue
  fi
  echo "install-deps: the $group group cannot be installed whole; one package at" \
    "a time" >&2
  for pkg in $pkgs; do
    installed "$pkg" && continue
    apt_install "$pkg" || failed "$pkg" "$(reason)"
  done
done
finish
