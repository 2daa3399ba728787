#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every header compiles on its own (it includes what it uses). Usage:
#   check-headers.sh SOURCE_ROOT CC
set -eu
root=$1
cc=${2:-cc}
fail=0
n=0
for h in $(find "$root/models" "$root/sensors" "$root/agent" "$root/retailer" \
              "$root/tests" -name '*.h' | sort); do
  n=$((n + 1))
  inc=$(dirname "$h")
  if ! printf '#include "%s"\n' "$h" |
      "$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root/models" -I"$root/sensors" \
        -I"$root/agent" -I"$root/agent/msg" -I"$inc" -fsyntax-only -x c -; then
    echo "FAIL: $h does not compile alone"
    fail=1
  fi
done
echo "$n headers checked"
exit $fail
