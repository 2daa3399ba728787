#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross builds for Raspberry Pi OS, per Debian release (bookworm, Raspberry Pi
# OS 12; trixie, Raspberry Pi OS 13) and architecture (arm64, armhf), with
# Debian's cross compilers against a sysroot of that release's arm64/armhf
# packages (packaging/cross-sysroot.sh downloads and unpacks it into
# _build/sysroot/RELEASE-ARCH; nothing of the foreign architecture or release is
# installed on the machine), and their unit tests (meson suite unit, the golden
# vectors of models/ and the 2038 tests included) and the MQTT round trip and TLS
# tests (the agent, pantryctl and the retailer with the release's Paho, OpenSSL
# and SQLite, over this machine's mosquitto) run under qemu-user with that
# sysroot (-L) through the cross files' exe_wrapper (packaging/cross/TRIPLET.ini,
# then the sysroot's RELEASE-ARCH.ini, then cross/sysroot.ini). trixie's armhf
# builds with a 64-bit time_t, as its libraries are (the sysroot's abi_args);
# bookworm's armhf has the 32-bit time_t of its ABI.
# Each target builds in _build/RELEASE-ARCH with warnings as errors; whatever
# fails to build is reported and its tests are counted as failed ("not built")
# in the JSON test log that tests/check.sh counts
# (_build/RELEASE-ARCH/meson-logs/testlog.json), while every test that did build
# still runs. A target whose sysroot cannot be had (its packages cannot be
# downloaded, after retries) is skipped: its log then holds one skipped entry
# with apt's reason, which tests/check.sh counts and names. Prints the sysroot,
# build and test times, and whether the golden vectors computed under
# emulation equal tests/golden/models.txt, the ones x86-64 computes.
#
# Usage: packaging/cross-build.sh [RELEASE-ARCH...]
#   (default bookworm-arm64 bookworm-armhf trixie-arm64 trixie-armhf)
# Needs: packaging/install-deps.sh build cross (the compilers, qemu-user; not
# the libraries).   Exit status: 0 if all passed; 1 if anything failed or a
# target was skipped.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ $# -gt 0 ] || set -- bookworm-arm64 bookworm-armhf trixie-arm64 trixie-armhf

status=0
for target in "$@"; do
  release=${target%%-*}
  arch=${target#*-}
  case "$release" in
    bookworm | trixie) ;;
    *) echo "cross-build: unknown target $target (RELEASE-ARCH: bookworm or trixie," \
         "arm64 or armhf)" >&2; exit 2 ;;
  esac
  case "$arch" in
    # Test timeouts times 4 (arm64) or 8 (armhf): emulated 32-bit ARM is the
    # slower by far (situations 163 s on arm64, 664 to 785 s on armhf, of 300 s
    # x N).
    arm64) triplet=aarch64-linux-gnu multiplier=4 ;;
    armhf) triplet=arm-linux-gnueabihf multiplier=8 ;;
    *) echo "cross-build: unknown target $target (RELEASE-ARCH: bookworm or trixie," \
         "arm64 or armhf)" >&2; exit 2 ;;
  esac
  dir=_build/$target
  log=$dir/meson-logs/testlog.json
  echo "== cross $target ($triplet, packaging/cross/$triplet.ini," \
    "sysroot _build/sysroot/$target)"
  rm -f "$log"
  ts=$(date +%s)
  if ! packaging/cross-sysroot.sh "$release" "$arch"; then
    why=$(cat "_build/sysroot/$target.failed" 2>/dev/null ||
      echo "packaging/cross-sysroot.sh $release $arch failed (above)")
    mkdir -p "$dir/meson-logs"
    python3 -c '
import json, sys
print(json.dumps({"name": "cross %s: build and unit tests under qemu" % sys.argv[1],
                  "result": "SKIP", "reason": "no sysroot: " + sys.argv[2]}))
' "$target" "$why" >"$log"
    echo "== skipped: cross $target: build and unit tests under qemu: no sysroot: $why"
    status=1
    continue
  fi
  sysroot=$top/_build/sysroot/$target
  t0=$(date +%s)
  # A build dir configured before the sysroot (with multiarch packages) starts
  # again: --reconfigure keeps the cross files it was made with.
  if [ -f "$dir/build.ninja" ] &&
    ! grep -qs 'cross/sysroot\.ini' "$dir/meson-private/cmd_line.txt"; then
    rm -rf "$dir"
  fi
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" >/dev/null || true
  else
    meson setup "$dir" --cross-file "packaging/cross/$triplet.ini" \
      --cross-file "_build/sysroot/$target.ini" --cross-file packaging/cross/sysroot.ini \
      -Dwerror=true -Dbuildtype=debugoptimized >/dev/null || true
  fi
  if [ ! -f "$dir/build.ninja" ]; then
    echo "cross-build: meson setup failed for $target (see $dir/meson-logs/meson-log.txt)"
    rm -f "$log"
    status=1
    continue
  fi
  built=yes
  # -k 0: build every target that can be built, so one test that does not
  # compile for an architecture does not hide the results of the others.
  ninja -C "$dir" -k 0 -j "$jobs" >"$dir/cross-build.log" 2>&1 || built=no
  t1=$(date +%s)
  if [ "$built" = no ]; then
    grep -E '^FAILED:|error:' "$dir/cross-build.log" | head -n 20
    echo "cross-build: BUILD FAILED in part for $target (whole log: $dir/cross-build.log)"
    status=1
  fi

  # The unit tests whose programs exist run; the others are failures "not
  # built", named as meson names tests in its log ("pantry-agent:unit+models /
  # fx") and added to that log after the run.
  names=$(meson introspect --tests "$dir" | python3 -c '
import json, os, sys
arch, out = sys.argv[1], open(sys.argv[2], "w")
# The whole chain on the libraries of the release (Paho, OpenSSL, SQLite): the
# agent, pantryctl and the retailer under qemu, over a real mosquitto.
chain = {"mqtt-roundtrip", "mqtt-tls"}
# The closed-loop evaluations and long property runs (20 minutes of the 21 an
# armhf run takes under qemu) run on bookworm, once per architecture: on trixie
# they would run the same pure C on the same architecture again, and CI has 90
# minutes. Skipped there, with this reason in the count.
heavy = {"situations", "loop", "scene", "ref-property"}
skipped = open(sys.argv[3], "w")
for t in json.load(sys.stdin):
    if "pantry-agent:unit" not in t["suite"] and t["name"] not in chain:
        continue
    suites = "+".join(s.split(":", 1)[1] for s in t["suite"])
    name = "pantry-agent:%s / %s" % (suites, t["name"])
    if t["name"] in heavy and not arch.startswith("bookworm-"):
        skipped.write(json.dumps({"name": name,
                                  "result": "SKIP",
                                  "reason": "run under qemu on bookworm, the same "
                                            "code on the same architecture"}) + "\n")
        continue
    if os.path.exists(t["cmd"][0]):
        print(t["name"])
        continue
    out.write(json.dumps({"name": name, "result": "FAIL",
                          "stdout": "not built for " + arch}) + "\n")
    print("cross-build: %s: not built for %s" % (name, arch), file=sys.stderr)
' "$target" "$dir/not-built.json" "$dir/skipped.json")
  rm -f "$log"
  mkdir -p "$dir/meson-logs"
  # Without names meson would run every test: run none when nothing built.
  if [ -n "$names" ]; then
    # shellcheck disable=SC2086
    meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" \
      --timeout-multiplier "$multiplier" $names || status=1
  fi
  t2=$(date +%s)
  if [ -s "$dir/not-built.json" ]; then
    cat "$dir/not-built.json" >>"$log"
    status=1
  fi
  cat "$dir/skipped.json" >>"$log"

  # The golden vectors under emulation against the file x86-64 reproduces.
  golden="$dir/golden-$target.txt"
  wrapper="$(sed -n "s/^qemu = \[\(.*\)\]$/\1/p" "packaging/cross/$triplet.ini" |
    tr -d "',") -L $sysroot"
  if [ -x "$dir/tests/golden-gen" ] && $wrapper "$dir/tests/golden-gen" >"$golden"; then
    if cmp -s "$golden" tests/golden/models.txt; then
      verdict="identical to tests/golden/models.txt ($(wc -l <"$golden") lines)"
    else
      verdict="DIFFERENT from tests/golden/models.txt: $(cmp "$golden" \
        tests/golden/models.txt 2>&1 | sed 's/^[^ ]* [^ ]* //')"
    fi
  else
    verdict="not computed (golden-gen did not build or run)"
  fi
  echo "cross-build: $target: sysroot in $((t0 - ts)) s, built in $((t1 - t0)) s," \
    "unit tests under qemu in $((t2 - t1)) s; golden vectors $verdict"
done
exit $status
