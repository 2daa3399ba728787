#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages of the given groups (see debian-packages.txt) that
# are not installed yet, with apt-get (through sudo when not root). Safe to run
# any number of times: with everything present it changes nothing and asks for
# nothing. A package written NAME:ARCH (the cross group's multiarch -dev
# packages) first needs ARCH as a foreign architecture of dpkg: it is added, and
# the apt lists refreshed, when missing. Usage: packaging/install-deps.sh build
# [test package cross ...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- build

missing=""
for group in "$@"; do
  for pkg in $(awk -v g="$group" '$1 == g {print $2}' "$here/debian-packages.txt"); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
      *"install ok installed"*) ;;
      *) missing="$missing $pkg" ;;
    esac
  done
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-deps: need root or sudo to install:$missing" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# An apt cache that is empty or a day old may not know the packages: refresh it.
update=""
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
  update=1
fi
# Foreign architectures of NAME:ARCH packages, added once (apt then needs their
# package lists).
arches=$(printf '%s\n' $missing | sed -n 's/^[^:]*:\([a-z0-9]*\)$/\1/p' | sort -u)
for arch in $arches; do
  if [ "$arch" != "$(dpkg --print-architecture)" ] &&
    ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    echo "install-deps: adding the foreign architecture $arch"
    $sudo dpkg --add-architecture "$arch"
    update=1
  fi
done
if [ -n "$update" ]; then
  $sudo apt-get update -qq
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
