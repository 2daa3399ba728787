#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every header compiles on its own (it includes what it uses), and every
# #include "..." in the tree names its file from the project root, the one
# include directory of the build ("agent/store/store.h"). Usage:
#   check-headers.sh SOURCE_ROOT CC
set -eu
root=$1
cc=${2:-cc}
fail=0
n=0
for h in $(find "$root/models" "$root/sensors" "$root/agent" "$root/retailer" \
              "$root/tests" -name '*.h' | sort); do
  n=$((n + 1))
  if ! printf '#include "%s"\n' "$h" |
      "$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root" -fsyntax-only -x c -; then
    echo "FAIL: $h does not compile alone"
    fail=1
  fi
done
# Quoted includes: a path from the root that exists there.
for f in $(find "$root/models" "$root/sensors" "$root/agent" "$root/retailer" \
              "$root/tests" -name '*.[ch]' | sort); do
  for i in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    if [ ! -f "$root/$i" ]; then
      echo "FAIL: $f includes \"$i\", which is not a path from the project root"
      fail=1
    fi
  done
done
echo "$n headers checked"
exit $fail
