#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory of the daemon (issue 4): RSS after 30 simulated days of 8 items at
# 10 Hz, every sample (no fast mode: 207 million samples), and its growth over
# the last 20 days. The simulator writes the trace into a FIFO the agent
# replays from, so nothing of 6 GB touches the disk; the agent logs VmRSS at
# every simulated day (--verbose). Takes about 3 minutes.
#   bench-rss.sh AGENT MAKE_SHELF OUT.md
set -eu
agent=$1 make_shelf=$2 out=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/pantry-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# The configuration (calibrations depend only on the seed) from a 1-day run.
"$make_shelf" --seed 3 --days 1 --channels 8 --dir "$work" --idle-ms 100
cp "$work/pantry-agent.conf" "$work/agent.conf"
rm -f "$work/shelf.trace" "$work/pantry.db"
mkfifo "$work/shelf.trace"
"$make_shelf" --seed 3 --days 30 --channels 8 --dir "$work" --idle-ms 100 &
"$agent" --config "$work/agent.conf" --replay "$work/shelf.trace" --foreground \
  --verbose 2>"$work/log" >/dev/null
wait
samples=$(sed -n 's/.*replay finished: \([0-9]*\) samples.*/\1/p' "$work/log")
rss() { sed -n "s/.*replay: day $1, VmRSS \\([0-9]*\\) kB.*/\\1/p" "$work/log"; }
d1=$(rss 1) d10=$(rss 10) d29=$(rss 29)
{
  echo "# Daemon memory"
  echo
  echo "\`tests/agent/bench-rss.sh\` (\`meson compile -C BUILD bench-rss\`): pantry-agent"
  echo "replaying 30 simulated days of 8 items at 10 Hz, every sample ($samples"
  echo "samples), from a FIFO; VmRSS logged at each simulated day; $(uname -m), build"
  echo "type of the binary measured."
  echo
  echo "| simulated day | 1 | 10 | 29 | growth, days 10 to 29 | goal |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| VmRSS, kB | $d1 | $d10 | $d29 | $((d29 - d10)) | <= 6144 at day 30, no growth |"
} >"$out"
cat "$out"
