#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The test command (README "Run the tests"; .ci/run calls exactly this):
#   1. installs the Debian packages the build and the tests need, if missing;
#   2. builds twice with warnings as errors: a plain build and an
#      AddressSanitizer + UndefinedBehaviorSanitizer build;
#   3. runs every test in both builds (long ones, suite slow, in the plain
#      build only), and the compiled unit tests once more
#      under valgrind (leaks are errors);
#   3b. builds a third time with clang and libFuzzer and runs each fuzz target
#      for FUZZ_SECONDS (default 20) from its checked-in corpus;
#   3c. cross-builds for Raspberry Pi OS arm64 and armhf on Debian 12
#      (bookworm) and 13 (trixie), against sysroots of each release's
#      arm64/armhf packages downloaded for them (nothing of those architectures
#      or releases installed), and runs the unit tests (golden vectors and the
#      2038 test included) under qemu-user (packaging/cross-build.sh,
#      cross-sysroot.sh); the closed-loop evaluations and long property runs
#      only on bookworm, skipped with that reason on trixie;
#   3d. builds the Debian packages for bookworm and trixie, amd64, arm64 and
#      armhf (against the release's sysroot where it is not the machine's)
#      from a clean copy of the tree, runs lintian on them and checks their
#      contents, checks the trixie unit with trixie's systemd-analyze, and
#      checks `meson install --destdir` of the plain build
#      (packaging/build-deb.sh, packaging/check-pkg.py);
#   4. ends with one line "N passed, N failed, N skipped", counting each test
#      of each run (and each step of 3d), names every failure and the reason of
#      every skip, and exits non-zero if any failed or if nothing passed.
#
# Packages that cannot be installed (a Debian mirror in the middle of a sync, no
# sudo, ...) stop nothing: packaging/install-deps.sh names them with apt's
# reason, and every stage that needs one of them (a cross build without its
# compiler or qemu-user, the Debian packages without debhelper or lintian, the
# fuzz build without clang, the valgrind run, a test whose tool is missing) is
# counted as skipped, with the packages as its reason; so is a cross build whose
# sysroot packages cannot be downloaded (after retries), with apt's reason. A
# build that fails while its packages are all there, and a test that fails,
# count as failures.
# Safe to run again: builds are updated in place under _build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p _build

deps=_build/install-deps.txt
rm -f "$deps"
if ! packaging/install-deps.sh --report "$deps" build test package cross; then
  echo "== some packages could not be installed (above): the stages that need" \
    "them are counted as skipped"
fi

jobs=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Stages skipped here (not meson tests) go to a log of the same form as meson's
# (one JSON object a line), with their reason, and the summary counts them.
skiplog=_build/skipped-testlog.json
rm -f "$skiplog"
: >"$skiplog"
runs="skipped=$skiplog"
skip() {
  why=$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')
  printf '{"name": "%s", "result": "SKIP", "reason": "%s"}\n' "$1" "$why" >>"$skiplog"
  echo "== skipped: $1: $2"
}

installed() {
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
    *"install ok installed"*) return 0 ;;
    *) return 1 ;;
  esac
}

# The packages of the groups given, or of one architecture of the cross group
# (cross:arm64: its cross compiler, qemu-user and the archive keyring).
packages() {
  for g in "$@"; do
    case "$g" in
      cross:arm64) awk '$1 == "cross" && ($2 !~ /^gcc-/ ||
                        $2 == "gcc-aarch64-linux-gnu") {print $2}' \
                     packaging/debian-packages.txt ;;
      cross:armhf) awk '$1 == "cross" && ($2 !~ /^gcc-/ ||
                        $2 == "gcc-arm-linux-gnueabihf") {print $2}' \
                     packaging/debian-packages.txt ;;
      # amd64 of another release: the machine's gcc (group build), qemu-user.
      cross:amd64) awk '$1 == "cross" && $2 !~ /^gcc-/ {print $2}' \
                     packaging/debian-packages.txt ;;
      *) awk -v g="$g" '$1 == g {print $2}' packaging/debian-packages.txt ;;
    esac
  done
}

# Why a stage that needs the packages PKG... cannot run: "" when all are
# installed, else the missing ones and the first reason apt gave.
missing() {
  names=""
  why=""
  for p in "$@"; do
    installed "$p" && continue
    names="$names${names:+, }$p"
    [ -n "$why" ] ||
      why=$(awk -F '\t' -v p="$p" '$1 == p {print $2; exit}' "$deps" 2>/dev/null || true)
  done
  [ -n "$names" ] || return 0
  printf 'not installed: %s%s' "$names" "${why:+ (apt: $why)}"
}

# shellcheck disable=SC2046
build_missing=$(missing $(packages build))

# A build that fails is reported and its tests are counted as one failure (no
# test log), so the summary line is always printed; when packages it needs are
# missing, the build is skipped with that reason instead.
setup() {
  dir=$1
  shift
  rm -f "$dir/.build-failed" "$dir/.build-skipped"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || true
  else
    meson setup "$dir" "$@" >/dev/null || true
  fi
  if [ -f "$dir/build.ninja" ] && ninja -C "$dir" -j "$jobs"; then
    return 0
  fi
  mkdir -p "$dir"
  if [ -n "$build_missing" ]; then
    echo "BUILD NOT POSSIBLE: $dir: $build_missing"
    printf '%s\n' "$build_missing" >"$dir/.build-skipped"
  else
    echo "BUILD FAILED: $dir"
    touch "$dir/.build-failed"
  fi
}

run() {
  dir=$1
  name=$2
  log="$dir/meson-logs/testlog$3.json"
  shift 3
  echo "== $name"
  rm -f "$log"
  if [ -e "$dir/.build-skipped" ]; then
    skip "$name: every test" "the build: $(cat "$dir/.build-skipped")"
    return 0
  fi
  runs="$runs $name=$log"
  [ ! -e "$dir/.build-failed" ] || return 0
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "$@" ||
    true
}

setup _build/plain -Dwerror=true -Dbuildtype=debugoptimized
setup _build/sanitize -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -Dc_args=-fno-sanitize-recover=all

fuzz_missing=$(missing clang libclang-rt-14-dev)
if [ -z "$fuzz_missing" ]; then
  (
    CC=clang
    export CC
    setup _build/fuzz -Dwerror=true -Dbuildtype=debugoptimized -Dfuzzing=true \
      -Dfuzz_seconds="${FUZZ_SECONDS:-20}" -Db_sanitize=address,undefined \
      -Db_lundef=false
  )
fi

run _build/plain plain ""
run _build/sanitize asan+ubsan "" --no-suite slow
valgrind_missing=$(missing valgrind)
if [ -n "$valgrind_missing" ]; then
  echo "== valgrind"
  skip "valgrind: every unit test" "$valgrind_missing"
else
  run _build/plain valgrind "-valgrind" --setup valgrind
fi
if [ -n "$fuzz_missing" ]; then
  echo "== libfuzzer"
  skip "libfuzzer: every fuzz target" "$fuzz_missing"
else
  run _build/fuzz libfuzzer "" --suite fuzz
fi

# Raspberry Pi OS builds, per Debian release (bookworm, trixie) and
# architecture: each target's unit tests land in its own meson JSON log; a test
# that did not build is in it as a failure, and a target whose sysroot could not
# be downloaded as one skip with apt's reason (packaging/cross-build.sh). An
# architecture whose compiler, qemu-user or build tools are not installed is
# skipped whole here. The machine's own -dev packages play no part: the
# libraries come from the sysroot.
echo "== cross: bookworm and trixie, arm64 and armhf, unit tests under qemu-user"
targets=""
for target in bookworm-arm64 bookworm-armhf trixie-arm64 trixie-armhf; do
  # shellcheck disable=SC2046
  why=$(missing meson ninja-build pkg-config python3 $(packages "cross:${target#*-}"))
  if [ -n "$why" ]; then
    skip "cross $target: build and unit tests under qemu" "$why"
  else
    targets="$targets $target"
    runs="$runs $target=_build/$target/meson-logs/testlog.json"
  fi
done
if [ -n "$targets" ]; then
  # shellcheck disable=SC2086
  CHECK_JOBS=$jobs packaging/cross-build.sh $targets || true
fi

# Packaging steps are not meson tests: each is written to a log of the same form
# (one JSON object a line), which the summary counts with the others.
pkglog=_build/package-testlog.json
rm -f "$pkglog"
: >"$pkglog"
runs="$runs package=$pkglog"
record() {
  printf '{"name": "%s", "result": "%s"}\n' "$1" "$2" >>"$pkglog"
  echo "== package: $1: $2"
}
echo "== package: Debian packages for bookworm and trixie, amd64, arm64 and armhf"
# The machine's own release and architecture builds natively with its unit
# tests; the five others against their sysroots, without tests (nocheck: the
# cross stage ran them under qemu), the sysroots shared with that stage. Each
# is three steps, "deb RELEASE-ARCH / build|lintian|contents"; one that cannot
# be built here (no sysroot: apt's reason; no compiler) is three skips.
native=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)-$(dpkg --print-architecture)
# shellcheck disable=SC2046
deb_missing=$(missing $(packages build package))
for target in bookworm-amd64 bookworm-arm64 bookworm-armhf trixie-amd64 trixie-arm64 \
  trixie-armhf; do
  why=$deb_missing
  if [ -z "$why" ] && [ "$target" != "$native" ]; then
    # shellcheck disable=SC2046
    why=$(missing $(packages "cross:${target#*-}"))
  fi
  deb_rc=0
  if [ -z "$why" ]; then
    packaging/build-deb.sh --worktree --release "${target%-*}" \
      --host-arch "${target#*-}" || deb_rc=$?
    [ "$deb_rc" != 3 ] || why=$(cat "_build/deb/$target/skipped.txt")
  fi
  if [ -n "$why" ]; then
    for step in build lintian contents; do
      skip "package: deb $target / $step" "$why"
    done
  elif [ "$deb_rc" = 1 ] || [ "$deb_rc" = 4 ]; then
    record "deb $target / build" FAIL
    record "deb $target / lintian" FAIL
    record "deb $target / contents" FAIL
  else
    record "deb $target / build" OK
    if [ "$deb_rc" = 0 ]; then
      record "deb $target / lintian" OK
    else
      record "deb $target / lintian" FAIL
    fi
    if python3 packaging/check-pkg.py deb "_build/deb/$target" "${target%-*}" \
      "${target#*-}"; then
      record "deb $target / contents" OK
    else
      record "deb $target / contents" FAIL
    fi
  fi
done
# The packaged unit under trixie's own systemd (257), run from the trixie amd64
# sysroot: skipped with the reason when that package or systemd is not there.
name="deb trixie / unit under systemd 257 (verify, security)"
if ! ls _build/deb/trixie-amd64/pantry-agent_*.deb >/dev/null 2>&1; then
  skip "package: $name" "no trixie amd64 package (above)"
else
  unit_rc=0
  python3 packaging/check-pkg.py unit _build/deb/trixie-amd64 amd64 \
    _build/sysroot/trixie-amd64 >_build/deb/unit-257.txt 2>&1 || unit_rc=$?
  cat _build/deb/unit-257.txt
  case "$unit_rc" in
    0) record "$name" OK ;;
    77) skip "package: $name" "$(sed -n 's/^SKIP: //p' _build/deb/unit-257.txt | head -n 1)" ;;
    *) record "$name" FAIL ;;
  esac
fi
if [ -e _build/plain/.build-skipped ]; then
  skip "package: meson install --destdir" "the build: $(cat _build/plain/.build-skipped)"
elif [ ! -e _build/plain/.build-failed ] &&
  python3 packaging/check-pkg.py install _build/plain; then
  record "meson install --destdir" OK
else
  record "meson install --destdir" FAIL
fi

# Count results from meson's JSON logs (one object per test). A skipped test
# says why on its last line of output (tests/checks.py need()); a stage skipped
# here carries its reason.
# shellcheck disable=SC2086
python3 - "$deps" $runs <<'PY'
import json, sys
passed = failed = skipped = 0
skips = []
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    try:
        lines = open(path).read().splitlines()
    except OSError:
        print(f"{name}: no test log at {path}: counted as one failure")
        failed += 1
        continue
    for line in lines:
        r = json.loads(line)
        res = r["result"]
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
            why = r.get("reason")
            if why is None:
                out = [x for x in (r.get("stdout") or "").splitlines() if x.strip()]
                why = out[-1] if out else "(the test gave no reason)"
                name_ = f"[{name}] {r['name']}"
            else:
                name_ = r["name"]
            skips.append(f"SKIPPED {name_}: {why}")
        else:
            failed += 1
            print(f"FAILED [{name}] {r['name']}: {res}")
for s in skips:
    print(s)
try:
    note = [l.split("\t", 1)[1].strip() for l in open(sys.argv[1])
            if l.startswith("(apt-get update)\t")]
except OSError:
    note = []
if note:
    print(f"(apt-get update failed: {note[0]})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
if passed == 0 and failed == 0:
    print("nothing was tested: see the skips above")
sys.exit(1 if failed or passed == 0 else 0)
PY
