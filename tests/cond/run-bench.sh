#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per sample through conditioning as the daemon drives it (the
# shelf's timers when due, then each sample), counted by callgrind inside
# measure_shelf() of bench-cond.c only (generation of the samples excluded), and
# the bytes of state per platform. Counts are repeatable for the same binary.
# Usage: run-bench.sh BENCH_COND_BINARY [BENCH.md]
set -eu
bench=$1
out=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

here=$(cd "$(dirname "$0")" && pwd)

# count RATE CHANNELS N: "instructions-per-sample samples events hours"
count() {
  total=$(CALLGRIND_STDOUT="$tmp/stdout" sh "$here/../bench/callgrind-count.sh" \
    "$bench" "$1" "$2" "$3")
  samples=$(sed -n 's/^samples=\([0-9]*\).*/\1/p' "$tmp/stdout")
  events=$(sed -n 's/.* events=\([0-9]*\).*/\1/p' "$tmp/stdout")
  hours=$(sed -n 's/.* hours=\([0-9.]*\).*/\1/p' "$tmp/stdout")
  echo "$((total / samples)) $samples $events $hours"
}

# A day of 4 platforms at 10 Hz; a day of one platform at 80 Hz (a quarter of a
# day held no stock event).
set -- $(count 10 4 3456000)
i10=$1 s10=$2 e10=$3 h10=$4
set -- $(count 80 1 6912000)
i80=$1 s80=$2 e80=$3 h80=$4
sizes=$("$bench" 10 1 1)
place=$(echo "$sizes" | sed -n 's/.*sizeof(struct shelf_place)=\([0-9]*\).*/\1/p')
chan=$(echo "$sizes" | sed -n 's/.*sizeof(struct cond_channel)=\([0-9]*\).*/\1/p')
{
  echo "# Conditioning benchmark"
  echo
  echo "Instructions per sample through the shelf as the daemon drives it (its"
  echo "timers when due, then \`shelf_sample()\`: per-platform filtering, episodes,"
  echo "the judgement of settled episodes, stock events), counted by valgrind's"
  echo "callgrind inside \`measure_shelf()\` only (\`tests/cond/run-bench.sh\`), over"
  echo "every sample of a simulated household (default: takes, refills, lifts, bumps,"
  echo "noise, drift), on $(uname -m) with $(cc --version | head -n 1), a"
  echo "${BUILD_TYPE:-unknown} build. Reproduce: \`meson compile -C BUILD bench-cond\`."
  echo
  echo "| rate | platforms | samples | hours | stock events | instructions per sample | goal |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  echo "| 10 Hz | 4 | $s10 | $h10 | $e10 | $i10 | <= 500 |"
  echo "| 80 Hz | 1 | $s80 | $h80 | $e80 | $i80 | - |"
  echo
  echo "Bytes of state per platform: \`struct shelf_place\` = $place, of which the"
  echo "channel's \`struct cond_channel\` = $chan (the \`struct cond_config\` it"
  echo "points to is the item's, shared)."
} >"$tmp/bench.md"
if [ -n "$out" ]; then
  cp "$tmp/bench.md" "$out"
  echo "wrote $out"
fi
cat "$tmp/bench.md"
