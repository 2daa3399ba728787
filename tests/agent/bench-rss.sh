#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's memory and SD-card wear (issue 4), on 30 simulated days at 10 Hz,
# every sample (no fast mode): RSS with 8 items (207 million samples) and its
# growth over the last 20 days; bytes written per day with 4 items. The
# simulator writes each trace into a FIFO the agent replays from, so no 6 GB file
# touches the disk; the agent logs VmRSS and the bytes it has written (wchar of
# /proc/self/io: everything SQLite and the log hand to write()) at every
# simulated day (--verbose). Takes about 5 minutes.
#   bench-rss.sh AGENT MAKE_SHELF OUT.md
set -eu
agent=$1 make_shelf=$2 out=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/pantry-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# replay CHANNELS: 30 days of CHANNELS items through the agent; log in $work/log.N
replay() {
  d="$work/$1"
  mkdir -p "$d"
  # The configuration (calibrations depend only on the seed) from a 1-day run.
  "$make_shelf" --seed 3 --days 1 --channels "$1" --dir "$d" --idle-ms 100
  cp "$d/pantry-agent.conf" "$d/agent.conf"
  rm -f "$d/shelf.trace" "$d/pantry.db"
  mkfifo "$d/shelf.trace"
  "$make_shelf" --seed 3 --days 30 --channels "$1" --dir "$d" --idle-ms 100 &
  "$agent" --config "$d/agent.conf" --replay "$d/shelf.trace" --foreground \
    --verbose 2>"$work/log.$1" >/dev/null
  wait
  du -b "$d/pantry.db" | cut -f1 >"$work/size.$1"
}
day() { # day LOG N FIELD(rss|written)
  if [ "$3" = rss ]; then
    sed -n "s/.*replay: day $2, VmRSS \\([0-9]*\\) kB.*/\\1/p" "$1"
  else
    sed -n "s/.*replay: day $2, .*written \\([0-9]*\\) bytes.*/\\1/p" "$1"
  fi
}
replay 8
replay 4
l8=$work/log.8 l4=$work/log.4
s8=$(sed -n 's/.*replay finished: \([0-9]*\) samples.*/\1/p' "$l8")
s4=$(sed -n 's/.*replay finished: \([0-9]*\) samples.*/\1/p' "$l4")
r1=$(day "$l8" 1 rss) r10=$(day "$l8" 10 rss) r29=$(day "$l8" 29 rss)
w1=$(day "$l4" 1 written) w29=$(day "$l4" 29 written)
per_day=$(( (w29 - w1) / 28 ))
{
  echo "# Daemon memory and bytes written"
  echo
  echo "\`tests/agent/bench-rss.sh\` (\`meson compile -C BUILD bench-rss\`): pantry-agent"
  echo "replays 30 simulated days at 10 Hz, every sample, from a FIFO, and logs at"
  echo "each simulated day its VmRSS and the bytes it handed to write() (wchar of"
  echo "/proc/self/io: SQLite's database and WAL writes, and its log); $(uname -m),"
  echo "build type of the binary measured."
  echo
  echo "| 8 items, $s8 samples | day 1 | day 10 | day 29 | growth, days 10 to 29 | goal |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| VmRSS, kB | $r1 | $r10 | $r29 | $((r29 - r10)) | <= 6144, no growth |"
  echo
  echo "| 4 items, $s4 samples | per simulated day (days 1 to 29) | database after 30 days | goal |"
  echo "|---|---:|---:|---:|"
  echo "| bytes written | $per_day | $(cat "$work/size.4") bytes | <= 2 MB/day |"
  echo
  growth=$((r29 - r10))
  verdict() { if [ "$1" = yes ]; then echo met; else echo "**not met**"; fi; }
  echo "Against the goals: RSS <= 6144 kB on day 29: $(verdict "$([ "$r29" -le 6144 ] && echo yes)") ($r29 kB);"
  echo "no growth from day 10 to day 29: $(verdict "$([ "$growth" -le 0 ] && echo yes)") ($growth kB);"
  echo "at most 2 MB written a day: $(verdict "$([ "$per_day" -le 2000000 ] && echo yes)") ($per_day bytes)."
  if [ "$growth" -gt 0 ]; then
    echo "Why is not known yet. SQLite's page cache is capped at 256 KiB"
    echo "(agent/store/store.c, \`PRAGMA cache_size = -256\`), so it can account for a"
    echo "growth only while it fills; whether it is full by day 10 was not measured."
    echo "Next step: log malloc's heap (mallinfo2) and the cache's use"
    echo "(sqlite3_db_status) beside VmRSS each simulated day."
  fi
  # bench-live.py's section, kept as it was.
  if [ -f "$out" ] && grep -q '^## Live:' "$out"; then
    echo
    sed -n '/^## Live:/,$p' "$out"
  fi
} >"$work/out.md"
cp "$work/out.md" "$out"
cat "$out"
