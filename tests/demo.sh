#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo command (README "See it work"): installs what is missing, builds, and
# replays a 45-day household (tests/data/demo-pantry.events) through the
# fixed-point forecast and the reorder policy on the trace's virtual clock. It
# prints each order the agent would have placed, then per item the stock, the
# learnt rate, the predicted runout with its interval and the next order.
# Safe to run again: the build is updated in place under _build/release.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packaging/install-deps.sh build

if [ -f _build/release/build.ninja ]; then
  meson setup --reconfigure _build/release -Dbuildtype=release >/dev/null
else
  meson setup _build/release -Dbuildtype=release >/dev/null
fi
ninja -C _build/release agent/pantry-forecast >/dev/null

trace=tests/data/demo-pantry.events
echo "Replaying $trace (4 items, 45 days) on its virtual clock:"
echo
_build/release/agent/pantry-forecast "$trace"
