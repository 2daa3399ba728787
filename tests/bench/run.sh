#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instruction counts of models/ against the double reference, with callgrind:
# instructions are counted only inside the measure_* loops of bench-models.c,
# divided by the number of operations (loop overhead of ~5 instructions per
# iteration included). Counts are repeatable for the same binary and inputs.
# The update is also counted with the Cortex-M0 arithmetic (FX_SOFT_ARITH) on
# this machine, and on a Cortex-M0 build under qemu-arm (count-m0.sh).
# Usage: run.sh BENCH_MODELS_BINARY [RESULTS.md [BENCH_MODELS_SOFT [BUILD]]]
# BUILD: the compiler and flags of the binaries, for the text.
set -eu
bench=$1
out=${2:-}
soft=${3:-}
build=${4:-"the build type of the binary measured"}
n=20000
# The Cortex-M0 count logs every instruction: fewer events (the first n_m0 of
# the same sequence).
n_m0=1000
budget=200
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

count() {
  total=$(sh "$here/callgrind-count.sh" "$bench" "$@")
  echo $((total / $4))
}

count_soft() {
  if [ -z "$soft" ]; then
    echo "-"
    return
  fi
  total=$(sh "$here/callgrind-count.sh" "$soft" "$@")
  echo $((total / $4))
}

# BENCH_COMMIT: the commit stamp.py took before the run (meson compile bench).
commit=${BENCH_COMMIT:-}
if [ -z "$commit" ]; then
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "unknown")
  # RESULTS.md itself left out: an earlier run's rewrite is not a change of code.
  if [ -n "$(git -C "$root" status --porcelain -- models tests/bench/*.c \
      tests/bench/*.sh 2>/dev/null)" ]; then
    commit="$commit plus uncommitted changes"
  fi
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
m0cc=$(arm-none-eabi-gcc --version 2>/dev/null | head -n 1 || echo "no arm-none-eabi-gcc")

{
  echo "# Benchmarks"
  echo
  echo "Instructions per operation, counted by valgrind's callgrind inside the"
  echo "measured loops only (\`tests/bench/run.sh\`), $n operations each."
  echo "Measured: commit $commit, $(uname -m) ($cpu), $build."
  echo "Cortex-M0 column: $m0cc -O2 -mcpu=cortex-m0 -mthumb,"
  echo "the first $n_m0 of the same events, instructions counted under qemu-arm"
  echo "(\`tests/bench/count-m0.sh\`). Reproduce: \`meson compile -C build bench\`"
  echo "(rewrites this file)."
  echo
  echo "## models/: fixed point against the double reference (tests/ref)"
  echo
  echo "| method | update, fixed | update, M0 arithmetic on $(uname -m) | update, Cortex-M0 | update, double | forecast, fixed | forecast, double |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  over=""
  verdict=""
  for m in ses holt croston sba tsb; do
    uf=$(count fixed update $m $n)
    us=$(count_soft fixed update $m $n)
    um=$(sh "$here/count-m0.sh" "$root" $m $n_m0)
    ur=$(count ref update $m $n)
    ff=$(count fixed forecast $m $n)
    fr=$(count ref forecast $m $n)
    echo "| $m | $uf | $us | $um | $ur | $ff | $fr |"
    over="$over $m $((100 * uf / ur))/$((100 * ff / fr))"
    if [ "$uf" -le "$budget" ]; then
      verdict="$verdict $m $uf (met),"
    else
      verdict="$verdict $m $uf ($((uf - budget)) over),"
    fi
    eval "u_$m=$uf"
  done
  echo
  wf=$(count fixed weight ses $n)
  wr=$(count ref weight ses $n)
  echo "Time-aware weight \`1 - 2^(-dt/h)\` alone: $wf instructions fixed"
  echo "(\`fx_alpha_q32\`), $wr double (\`-expm1(-dt ln2 / h)\` with libm)."
  echo
  du=$(count fixed dayuse ses $n)
  dp=$(count fixed peak ses $n)
  echo "Use per day (\`models/dayuse.h\`, once per event in the agent): $du instructions"
  echo "to add a use, $dp to ask the peak over a lead time (about 3 days: two"
  echo "sliding sums over 28 days)."
  echo
  echo "*update* is one consumption event through \`fc_consume\`: the observed"
  echo "interval and size smoothed with their errors under the weight of the typical"
  echo "interval, the away rule, and the method's own update with its time-aware"
  echo "weight (SES: also its fast rate and the step rule; Croston and SBA have"
  echo "none). *forecast* is \`fc_runout\`: the rate (with overdue decay), its"
  echo "spread and the runout time with its 95% interval (two passes for Holt)."
  echo
  echo "Bytes of state per item: \`struct fc\` = $("$bench" fixed weight ses 1 |
    sed -n 's/.*sizeof(struct fc)=\([0-9]*\).*/\1/p'), for every method."
  echo
  echo "## Against the goals (issues 2, 11 and 17)"
  echo
  echo "- *At most $budget instructions per update including the weight*, on"
  echo "  $(uname -m):${verdict%,}."
  echo "  The weights bound it: an update"
  echo "  computes one per event for sizes and intervals, and the method's own; in"
  echo "  all, Croston and SBA 1, TSB 2, SES 3 (its fast rate has a quarter of the"
  echo "  half-life), Holt 4 (also trend and damping). At $wf instructions a weight,"
  echo "  that is $wf for Croston and SBA, $((2 * wf)) for TSB, $((3 * wf)) for SES and"
  echo "  $((4 * wf)) for Holt before anything is smoothed; the rest is the smoothing"
  echo "  (a 64x64-bit product, rounding and saturation per term) and the clamps that"
  echo "  keep every input in range. Each weight has its own dt or half-life, and"
  echo "  the event times are irregular, so no weight repeats from one event to the"
  echo "  next to be cached; the results must stay the same bits (golden vectors,"
  echo "  tests/eval), so no weight may be dropped or approximated. The next step, if"
  echo "  the budget is to be met, is a change of the models: one weight per event"
  echo "  shared by the smoothers, which changes every result."
  echo "- *Not more than the double reference*: fixed point in percent of double,"
  echo "  update/forecast, per method:$over. The double forecast has a hardware square"
  echo "  root where the fixed one has two integer square roots, a quantile table"
  echo "  search and several 128-bit-safe scalings."
  echo "- On a Cortex-M0 most of an update is division: ARMv6-M has none, and"
  echo "  every weight divides dt by a half-life, and the observed rate is mg over dt. The"
  echo "  soft division takes the leading zero quotient bits a byte at a time and"
  echo "  keeps a 32-bit remainder for divisors below 2^31 (an update's: half-lives,"
  echo "  intervals and the time observed, 2^31 s being 68 years)."
  echo
  # The other modules' benchmarks write their own BENCH.md (each with its own
  # run target); their numbers are gathered here, one heading level down.
  tests_dir=$here/..
  for f in cond/BENCH.md store/BENCH.md agent/BENCH.md mqtt/BENCH.md retailer/BENCH.md; do
    if [ -f "$tests_dir/$f" ]; then
      echo
      echo "<!-- from tests/$f: regenerate there, then rerun this -->"
      sed 's/^#/##/' "$tests_dir/$f"
    fi
  done
} >"$tmp/results.md"

if [ -n "$out" ]; then
  cp "$tmp/results.md" "$out"
  echo "wrote $out"
fi
cat "$tmp/results.md"
