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
#   3c. cross-builds for Raspberry Pi OS arm64 and armhf and runs the unit tests
#      (golden vectors included) under qemu-user (packaging/cross-build.sh);
#   3d. builds the Debian packages from a clean copy of the tree, runs lintian
#      on them and checks their contents, and checks `meson install --destdir`
#      of the plain build (packaging/build-deb.sh, packaging/check-pkg.py);
#   4. ends with one line "N passed, N failed, N skipped", counting each test
#      of each run (and each step of 3d), and exits non-zero if any failed.
# Safe to run again: builds are updated in place under _build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packaging/install-deps.sh build test package cross

jobs=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}

# A build that fails is reported and its tests are counted as one failure (no
# test log), so the summary line is always printed.
setup() {
  dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || true
  else
    meson setup "$dir" "$@" >/dev/null || true
  fi
  if ! ninja -C "$dir" -j "$jobs"; then
    echo "BUILD FAILED: $dir"
    touch "$dir/.build-failed"
  else
    rm -f "$dir/.build-failed"
  fi
}

runs=""
run() {
  dir=$1
  name=$2
  log="$dir/meson-logs/testlog$3.json"
  shift 3
  echo "== $name"
  rm -f "$log"
  runs="$runs $name=$log"
  [ ! -e "$dir/.build-failed" ] || return 0
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "$@" ||
    true
}

setup _build/plain -Dwerror=true -Dbuildtype=debugoptimized
setup _build/sanitize -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -Dc_args=-fno-sanitize-recover=all

(
  CC=clang
  export CC
  setup _build/fuzz -Dwerror=true -Dbuildtype=debugoptimized -Dfuzzing=true \
    -Dfuzz_seconds="${FUZZ_SECONDS:-20}" -Db_sanitize=address,undefined -Db_lundef=false
)

run _build/plain plain ""
run _build/sanitize asan+ubsan "" --no-suite slow
run _build/plain valgrind "-valgrind" --setup valgrind
run _build/fuzz libfuzzer "" --suite fuzz

# Raspberry Pi OS builds: each architecture's unit tests land in its own meson
# JSON log; a test that did not build is in it as a failure.
echo "== cross: arm64 and armhf, unit tests under qemu-user"
CHECK_JOBS=$jobs packaging/cross-build.sh arm64 armhf || true
runs="$runs arm64=_build/arm64/meson-logs/testlog.json"
runs="$runs armhf=_build/armhf/meson-logs/testlog.json"

# Packaging steps are not meson tests: each is written to a log of the same form
# (one JSON object a line), which the summary counts with the others.
pkglog=_build/package-testlog.json
rm -f "$pkglog"
runs="$runs package=$pkglog"
record() {
  printf '{"name": "%s", "result": "%s"}\n' "$1" "$2" >>"$pkglog"
  echo "== package: $1: $2"
}
echo "== package: Debian packages from a clean copy of the tree, lintian"
deb_rc=0
packaging/build-deb.sh --worktree --out _build/deb || deb_rc=$?
if [ "$deb_rc" = 1 ]; then
  record "deb / build" FAIL
  record "deb / lintian" FAIL
  record "deb / contents" FAIL
else
  record "deb / build" OK
  if [ "$deb_rc" = 0 ]; then
    record "deb / lintian" OK
  else
    record "deb / lintian" FAIL
  fi
  if python3 packaging/check-pkg.py deb _build/deb; then
    record "deb / contents" OK
  else
    record "deb / contents" FAIL
  fi
fi
if [ ! -e _build/plain/.build-failed ] &&
  python3 packaging/check-pkg.py install _build/plain; then
  record "meson install --destdir" OK
else
  record "meson install --destdir" FAIL
fi

# Count results from meson's JSON logs (one object per test).
python3 - $runs <<'PY'
import json, sys
passed = failed = skipped = 0
for arg in sys.argv[1:]:
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
        else:
            failed += 1
            print(f"FAILED [{name}] {r['name']}: {res}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
