#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per fc_consume() on a Cortex-M0: models/ and m0-bench.c built
# with arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb (Thumb-1, no divide, 32-bit
# multiply), run under qemu-arm one instruction per block with every executed
# block logged; the instructions from the first one of measure_m0_update() to
# the exit are counted and divided by N (the loop's few instructions included,
# as on x86-64). Counts are instructions, not cycles: a Cortex-M0 takes 1 to 3
# cycles for most of them (loads 2, taken branches 3).
# Usage: count-m0.sh SOURCE_ROOT METHOD N [OPT]   (METHOD: ses, holt, ...)
# Prints the count, or "-" and the reason on stderr when a tool is missing.
set -eu
root=$1
method=$(echo "$2" | tr a-z A-Z)
n=$3
opt=${4:--O2}
for tool in arm-none-eabi-gcc arm-none-eabi-nm qemu-arm; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "count-m0.sh: $tool not found (Debian: gcc-arm-none-eabi, qemu-user)" >&2
    echo "-"
    exit 0
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
arm-none-eabi-gcc -std=c11 "$opt" -mcpu=cortex-m0 -mthumb -ffreestanding -nostdlib \
  -static -Wl,-e,_start -Wall -Wextra -Werror -I"$root" \
  -DBENCH_METHOD="FC_$method" -DBENCH_N="$n" \
  -o "$tmp/m0-bench" "$root/tests/bench/m0-bench.c" "$root"/models/*.c -lgcc
start=$(arm-none-eabi-nm "$tmp/m0-bench" | awk '$3 == "measure_m0_update" {print $1}')
# -singlestep: one guest instruction per translation block; nochain: every
# block goes through the logging. Each "Trace" line is one instruction, its
# guest pc the second field in brackets.
# The log goes through a pipe: a few hundred bytes per update.
mkfifo "$tmp/log"
awk -v start="$start" -v n="$n" '
  /^Trace/ {
    split($0, f, "/")
    if (!on && f[2] == start) on = 1
    if (on) count++
  }
  END { if (!on) exit 1; printf "%d\n", count / n }' "$tmp/log" >"$tmp/count" &
reader=$!
qemu-arm -singlestep -d exec,nochain -D "$tmp/log" "$tmp/m0-bench"
wait $reader
cat "$tmp/count"
