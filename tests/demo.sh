#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo command (README "See it work"): installs what is missing, builds, and
# tells the story of one shelf on a virtual clock:
#   1. the household simulator (tests/agent/make-shelf) writes 45 days of raw
#      load-cell samples of four items, as the HX711s would have read them, and
#      a configuration with their calibrations;
#   2. pantry-agent replays them as fast as it can: conditioning into stock
#      events, the fixed-point forecast, the reorder policy, and orders queued
#      with their sequence numbers in the SQLite store;
#   3. pantryctl shows the household's view: status, a forecast chart, history.
# Everything lives in a temporary folder that is removed at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packaging/install-deps.sh build

if [ -f _build/release/build.ninja ]; then
  meson setup --reconfigure _build/release -Dbuildtype=release >/dev/null
else
  meson setup _build/release -Dbuildtype=release >/dev/null
fi
ninja -C _build/release agent/pantry-agent agent/pantryctl tests/agent/make-shelf \
  >/dev/null

bin=_build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/pantry-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

echo "== 1. A simulated shelf: 4 items on load cells, 45 days, seed 42"
$bin/tests/agent/make-shelf --seed 42 --days 45 --channels 4 --dir "$work" \
  --idle-ms 30000 --mode auto
samples=$(grep -c '^s ' "$work/shelf.trace")
echo "   $samples raw samples in $work/shelf.trace"
echo
echo "== 2. pantry-agent replays them on the trace's clock"
$bin/agent/pantry-agent --config "$work/pantry-agent.conf" \
  --replay "$work/shelf.trace" --foreground 2>&1 |
  sed -n 's/^[^ ]* notice: /   /p'
echo
echo "== 3. pantryctl status (the household's view, read from the store)"
end=$(tail -1 "$work/shelf.trace" | cut -d' ' -f2)
end_iso=$(date -u -d "@$((end / 1000))" +%Y-%m-%dT%H:%M:%SZ)
$bin/agent/pantryctl --config "$work/pantry-agent.conf" --now "$end_iso" status
echo
echo "== 4. pantryctl forecast coffee"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" --now "$end_iso" \
  forecast coffee
echo
echo "== 5. The last things that happened to coffee (pantryctl history)"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" history coffee --limit 6
