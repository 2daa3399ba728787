#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the sysroot a build for one Debian release and architecture compiles,
# links and runs its tests against: that release's -dev packages of the sysroot
# group of debian-packages.txt (and of the group sysroot-ARCH, if any) and every
# library they depend on, downloaded and unpacked (dpkg-deb -x) into
# _build/sysroot/RELEASE-ARCH, with nothing installed on this machine. Raspberry
# Pi OS is built on Debian: bookworm (12) and trixie (13), arm64 and armhf; amd64
# is for a retailer's server (and trixie's amd64 packages on this bookworm
# machine). So the cross builds do not depend on the versions of the machine's
# own packages, which multiarch (libfoo-dev:arm64 installed beside amd64) needs
# to be the same on both architectures, and an image's libssl3 or
# linux-libc-dev newer than the foreign architecture's could block them.
#
# apt-get resolves and downloads the packages with a private configuration
# for ARCH alone (its own sources list, package lists, empty dpkg status and
# download cache under _build/sysroot/RELEASE-ARCH.apt; root is not needed),
# from the Debian release RELEASE at CROSS_MIRROR (default http://deb.debian.org/debian) and
# CROSS_SECURITY_MIRROR (http://deb.debian.org/debian-security), checked with
# /usr/share/keyrings/debian-archive-keyring.gpg. The machine's apt.conf
# (proxies) still applies. A failed `apt-get update` or download (a mirror in
# the middle of a sync) is tried CROSS_TRIES times (default 3), 5, 10, ... s
# apart. Absolute symbolic links in the packages are made relative, so the
# sysroot is whole under its own root (qemu -L, gcc --sysroot).
#
# The packages' symbols and shlibs files are gathered in DEBIAN/symbols and
# DEBIAN/shlibs of the sysroot, for dpkg-shlibdeps -S (packaging/build-deb.sh).
#
# Then it writes _build/sysroot/RELEASE-ARCH.ini, a meson cross file of the
# constants sysroot, abi_args and link_args, which packaging/cross/sysroot.ini uses (packaging/cross-build.sh:
# the triplet's .ini, then this, then sysroot.ini). A sysroot under a day old
# made from the same package list is used as it is; an older one is refreshed,
# and kept when the refresh fails (said on stderr).
#
# Usage: packaging/cross-sysroot.sh RELEASE ARCH
#   RELEASE: bookworm or trixie; ARCH: arm64, armhf or amd64
# Exit status: 0 the sysroot is there; 1 it could not be made: the reason, with
# apt's words, on stderr and in _build/sysroot/RELEASE-ARCH.failed (one line);
# 2 bad usage.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
usage="usage: $0 bookworm|trixie arm64|armhf|amd64"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
suite=$1
arch=$2
case "$suite" in
  bookworm | trixie) ;;
  *) echo "cross-sysroot: unknown release $suite (bookworm, trixie)" >&2; exit 2 ;;
esac
case "$arch" in
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  amd64) triplet=x86_64-linux-gnu ;;
  *) echo "cross-sysroot: unknown architecture $arch (arm64, armhf, amd64)" >&2; exit 2 ;;
esac
mirror=${CROSS_MIRROR:-http://deb.debian.org/debian}
security=${CROSS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
tries=${CROSS_TRIES:-3}

base=$top/_build/sysroot
name=$suite-$arch
root=$base/$name
work=$base/$name.apt
failed=$base/$name.failed
mkdir -p "$base"
rm -f "$failed"

wanted=$(awk -v a="sysroot-$arch" '$1 == "sysroot" || $1 == a {print $2}' \
  packaging/debian-packages.txt | tr '\n' ' ')
wanted=${wanted% }

# The constants the cross files need; written whenever the sysroot is usable.
# abi_args: trixie's armhf libraries are built with a 64-bit time_t and off_t
# (Debian's "t64" transition), which a 32-bit target's C library gives only
# when asked; bookworm's armhf libraries have the 32-bit time_t of their ABI.
# link_args: the machine's own gcc (amd64) looks for the C library's start
# files and libraries in the machine's /usr/lib/x86_64-linux-gnu before the
# sysroot's (a cross compiler looks in its sysroot only): -B and -L put the
# sysroot's first.
write_ini() {
  abi=""
  [ "$suite-$arch" = trixie-armhf ] && abi="'-D_TIME_BITS=64', '-D_FILE_OFFSET_BITS=64'"
  link=""
  [ "$arch" = "$(dpkg --print-architecture)" ] &&
    link="'-B$root/usr/lib/$triplet/', '-L$root/usr/lib/$triplet'"
  printf '%s\n' "# Written by packaging/cross-sysroot.sh: the $suite $arch sysroot." \
    "[constants]" "sysroot = '$root'" "abi_args = [$abi]" "link_args = [$link]" \
    >"$base/$name.ini"
}

# A sysroot made from the same packages less than a day ago is used as it is.
if [ -f "$root/.sysroot" ] && [ -f "$root/DEBIAN/shlibs" ] &&
  [ "$(sed -n 's/^wanted: //p' "$root/.sysroot")" = "$wanted" ] &&
  [ -n "$(find "$root/.sysroot" -mmin -1440)" ]; then
  write_ini
  exit 0
fi

# Cannot make it: say why, keep an older sysroot if there is one.
fail() {
  if [ -f "$root/.sysroot" ] &&
    [ "$(sed -n 's/^wanted: //p' "$root/.sysroot")" = "$wanted" ]; then
    echo "cross-sysroot: $name: could not refresh the sysroot ($1); using the one" \
      "of $(sed -n 's/^made: //p' "$root/.sysroot")" >&2
    write_ini
    exit 0
  fi
  printf '%s\n' "$1" >"$failed"
  echo "cross-sysroot: $name: no sysroot: $1" >&2
  exit 1
}

[ -r "$keyring" ] || fail "$keyring is missing (package debian-archive-keyring)"
command -v apt-get >/dev/null 2>&1 || fail "apt-get is missing"

mkdir -p "$work/empty" "$work/state/lists/partial" "$work/cache/archives/partial" \
  "$work/dpkg"
: >"$work/dpkg/status"
opts="[arch=$arch signed-by=$keyring]"
printf '%s\n' "deb $opts $mirror $suite main" "deb $opts $mirror $suite-updates main" \
  "deb $opts $security $suite-security main" >"$work/sources.list"

apt_get() {
  apt-get -q -o Dir::Etc::SourceList="$work/sources.list" \
    -o Dir::Etc::SourceParts="$work/empty" -o Dir::Etc::PreferencesParts="$work/empty" \
    -o Dir::Etc::Preferences="$work/empty/none" -o Dir::State="$work/state" \
    -o Dir::State::status="$work/dpkg/status" -o Dir::Cache="$work/cache" \
    -o APT::Architecture="$arch" -o APT::Architectures="$arch" \
    -o APT::Sandbox::User="$(id -un)" -o APT::Install-Recommends=false "$@"
}

# apt's own words for a failure: an unmet dependency if it names one, and its
# first error (or warning) line.
apt_reason() {
  why=$(sed -n 's/^ \{1,\}\([^ ].* Depends: .*[^ ]\) *$/\1/p' "$1" | head -n 1)
  err=$(grep -E '^(E|W): ' "$1" | grep -v 'Some index files failed' | head -n 1 |
    sed 's/^[EW]: //')
  why="$why${why:+${err:+; }}$err"
  [ -n "$why" ] || why="apt-get failed: $(tail -n 1 "$1")"
  printf '%s' "$why"
}

# Runs "apt-get ARGS" up to $tries times; the last failure's log stays in $log.
# A list that could not be fetched is only a warning to apt-get update (it
# would go on with none): here it is a failure.
log=$work/apt.log
retry() {
  n=1
  while ! apt_get "$@" >"$log" 2>&1 ||
    grep -Eq '^(E: |W: Failed to fetch|W: Some index files failed)' "$log"; do
    [ "$n" -lt "$tries" ] || return 1
    echo "cross-sysroot: $name: apt-get $1 failed (try $n of $tries): $(apt_reason "$log");" \
      "again in $((n * 5)) s" >&2
    sleep $((n * 5))
    n=$((n + 1))
    # A download that failed may need lists the mirror has changed since.
    [ "$1" = update ] || apt_get update >/dev/null 2>&1 || true
  done
}

start=$(date +%s)
retry update || fail "apt-get update for $name: $(apt_reason "$log")"
# The packages and their dependencies, as apt resolves them from nothing
# installed: "Inst NAME (VERSION ARCHIVES [ARCH])", with " []" after it for a
# package apt must unpack before its dependencies (libgcc-s1, a loop with libc6).
# shellcheck disable=SC2086
apt_get install -s $wanted >"$log" 2>&1 ||
  fail "$name packages cannot be resolved: $(apt_reason "$log")"
debs=$(sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([a-z0-9]*\)\])\( \[\]\)\{0,1\}$/\1_\2_\3.deb/p' "$log" |
  sed 's/:/%3a/g')
[ -n "$debs" ] || fail "apt resolved no $name packages from: $wanted"
# shellcheck disable=SC2086
retry install -y -d $wanted || fail "download of the $name packages: $(apt_reason "$log")"

rm -rf "$root.new"
mkdir -p "$root.new"
for deb in $debs; do
  [ -f "$work/cache/archives/$deb" ] || fail "apt did not download $deb"
  dpkg-deb -x "$work/cache/archives/$deb" "$root.new" ||
    fail "dpkg-deb -x $deb failed"
done
# trixie's packages put everything under /usr, where base-files (not unpacked
# here) makes /lib a link to usr/lib: the dynamic loader the binaries name
# (/lib/ld-linux-armhf.so.3) and libc.so's linker script are found through it.
for d in bin sbin lib lib64; do
  if [ -d "$root.new/usr/$d" ] && [ ! -e "$root.new/$d" ]; then
    ln -s "usr/$d" "$root.new/$d"
  fi
done
# The libraries' dependency information for dpkg-shlibdeps (packaging/
# build-deb.sh runs it with -S SYSROOT): every package's symbols and shlibs
# files in one DEBIAN/symbols and DEBIAN/shlibs, as in a package build tree,
# so a .deb built against the sysroot depends on this release's packages.
mkdir -p "$root.new/DEBIAN"
: >"$root.new/DEBIAN/symbols"
: >"$root.new/DEBIAN/shlibs"
ctl=$work/control
for deb in $debs; do
  rm -rf "$ctl"
  dpkg-deb -e "$work/cache/archives/$deb" "$ctl" || fail "dpkg-deb -e $deb failed"
  for f in symbols shlibs; do
    [ ! -f "$ctl/$f" ] || cat "$ctl/$f" >>"$root.new/DEBIAN/$f"
  done
done
rm -rf "$ctl"
# Absolute links (/usr/lib/.../libfoo.so -> /lib/...) point into the sysroot.
find "$root.new" -type l | while read -r link; do
  target=$(readlink "$link")
  case "$target" in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root.new$target")" \
          "$link" ;;
  esac
done
# shellcheck disable=SC2086
{
  echo "made: $(date -u '+%Y-%m-%d %H:%M UTC') from $mirror $suite"
  echo "wanted: $wanted"
  printf 'package: %s\n' $debs
} >"$root.new/.sysroot"
rm -rf "$root"
mv "$root.new" "$root"
# Packages no longer wanted or superseded leave the download cache.
for f in "$work/cache/archives/"*.deb; do
  printf '%s\n' "$debs" | grep -qxF "${f##*/}" || rm -f "$f"
done
write_ini
echo "cross-sysroot: $name: $(echo "$debs" | wc -w) packages ($triplet) in" \
  "$root, $(du -sh "$root" | cut -f1), in $(($(date +%s) - start)) s"
