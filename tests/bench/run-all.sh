#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate every benchmark document from the current code (issue 17):
#
#   meson compile -C BUILD bench-all
#   BENCH_SKIP='bench-retailer-load' meson compile -C BUILD bench-all
#
# Runs the bench run_targets one after another, the deterministic instruction
# counts first and the long timed runs after them, then `bench`, whose
# RESULTS.md gathers the other documents, each through tests/bench/stamp.py
# (which writes under the document's title the commit, build type, compiler,
# machine, load average, date and this command). Stops at the first that fails,
# naming it. BENCH_SKIP names targets not to run: their documents keep the
# setup line of the run that wrote them. Refuses a build that is not release or
# debugoptimized: the documents state the build type, and a debug build's
# figures would mislead. On this 2-core machine, shared, the whole run took
# about 65 minutes without bench-retailer-load (tests/bench/README.md).
set -eu

build=$1 buildtype=$2
case "$buildtype" in
release | debugoptimized) ;;
*)
  echo "bench-all: refusing a '$buildtype' build: the documents state the build type, and only" >&2
  echo "release or debugoptimized figures are published (meson configure $build -Dbuildtype=release)" >&2
  exit 1
  ;;
esac

# target and the document it rewrites, in the order they run. `bench` last:
# besides its own counts, RESULTS.md gathers the other BENCH.md files (run.sh).
targets='bench-cond tests/cond/BENCH.md
bench-retailer tests/retailer/BENCH.md
eval tests/eval/RESULTS.md
loop-eval tests/eval/CLOSED-LOOP.md
bench-store tests/store/BENCH.md
bench-home tests/mqtt/BENCH-home.md
bench-mqtt tests/mqtt/BENCH.md
bench-rss tests/agent/BENCH.md
bench-live tests/agent/BENCH.md
bench-rss-home tests/agent/BENCH-rss-home.md
bench-retailer-load tests/retailer/BENCH-load.md
bench-retailer-rss tests/retailer/BENCH.md
bench tests/bench/RESULTS.md'

skip=" ${BENCH_SKIP:-} "
done_list=''
start=$(date +%s)
echo "$targets" | {
  while read -r t doc; do
    case "$skip" in
    *" $t "*)
      done_list="$done_list
bench-all: skipped $t (BENCH_SKIP): $doc keeps the setup line of its last run"
      continue
      ;;
    esac
    t0=$(date +%s)
    echo "bench-all: running $t (writes $doc)"
    if ! ninja -C "$build" "$t" </dev/null; then
      echo "$done_list" >&2
      echo "bench-all: $t FAILED; $doc is not regenerated, and the targets after it did not run" >&2
      exit 1
    fi
    done_list="$done_list
bench-all: rewrote $doc ($t, $(($(date +%s) - t0)) s)"
  done
  echo "$done_list"
  echo "bench-all: done in $((($(date +%s) - start) / 60)) min"
}
