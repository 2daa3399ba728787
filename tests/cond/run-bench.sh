#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per sample through conditioning, counted by callgrind inside
# measure_cond() of bench-cond.c only (generation of the samples excluded), and
# the bytes of state per channel. Counts are repeatable for the same binary.
# Usage: run-bench.sh BENCH_COND_BINARY [BENCH.md]
set -eu
bench=$1
out=${2:-}
n=200000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

here=$(cd "$(dirname "$0")" && pwd)

count() {
  total=$(CALLGRIND_STDOUT="$tmp/stdout" sh "$here/../bench/callgrind-count.sh" \
    "$bench" "$1" "$n")
  samples=$(sed -n 's/^samples=\([0-9]*\).*/\1/p' "$tmp/stdout")
  echo $((total / samples))
}

i10=$(count 10)
i80=$(count 80)
bytes=$("$bench" 10 1 | sed -n 's/.*sizeof(struct cond_channel)=\([0-9]*\).*/\1/p')
{
  echo "# Conditioning benchmark"
  echo
  echo "Instructions per sample through \`cond_sample()\`, counted by valgrind's"
  echo "callgrind inside \`measure_cond()\` only (\`tests/cond/run-bench.sh\`), over the"
  echo "first $n samples of a simulated day of one shelf (default household, every"
  echo "sample), on $(uname -m) with $(cc --version | head -n 1), build type of the"
  echo "binary measured. Reproduce: \`meson compile -C BUILD bench-cond\`."
  echo
  echo "| rate | instructions per sample | goal |"
  echo "|---|---:|---:|"
  echo "| 10 Hz | $i10 | <= 500 |"
  echo "| 80 Hz | $i80 | - |"
  echo
  echo "Bytes of state per channel: \`struct cond_channel\` = $bytes (the"
  echo "\`struct cond_config\` it points to is shared by channels of one kind)."
} >"$tmp/bench.md"
if [ -n "$out" ]; then
  cp "$tmp/bench.md" "$out"
  echo "wrote $out"
fi
cat "$tmp/bench.md"
