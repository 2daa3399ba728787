#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# models/ is pure: no floating point, no heap, no I/O, no libc beyond <stdint.h>,
# <stdbool.h> and <stddef.h>. Two proofs:
#  1. the sources include nothing else and name no float/double/malloc/stdio;
#  2. compiled for a Cortex-M0 (arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb
#     -ffreestanding, at -O2 and -Os) and linked into one relocatable object, no
#     symbol is left undefined except memcpy, memset and memmove: no soft-float
#     helper (__aeabi_dmul, ...), no division or 64-bit multiply helper
#     (__aeabi_uldivmod, __aeabi_lmul, ...), no malloc. -nostdinc with only the
#     compiler's own freestanding headers on the path makes any other include an
#     error.
# The cross compiler comes from Debian's gcc-arm-none-eabi; the test command
# installs it. Without it the first proof still runs (and fails the check when
# it finds something); the second is then skipped (exit 77) with its reason,
# which tests/check.sh prints beside the summary.
set -eu
root=$1
fail=0

bad=$(grep -nE '#include <' "$root"/models/*.c "$root"/models/*.h |
      grep -vE '<(stdint|stdbool|stddef)\.h>' || true)
if [ -n "$bad" ]; then
  echo "FAIL: models/ includes headers beyond stdint/stdbool/stddef:"
  echo "$bad"
  fail=1
fi
# Its own headers only, named from the project root ("models/fx.h").
bad=$(grep -nE '#include "' "$root"/models/*.c "$root"/models/*.h |
      grep -vE '#include "models/[a-z0-9_-]+\.h"' || true)
if [ -n "$bad" ]; then
  echo "FAIL: models/ includes headers from outside models/:"
  echo "$bad"
  fail=1
fi
# Strip comments before looking for forbidden words.
for f in "$root"/models/*.c "$root"/models/*.h; do
  hits=$(sed -e 's@/\*.*\*/@@g' -e '/\/\*/,/\*\//d' "$f" |
         grep -nE '\b(float|double|long double|malloc|calloc|realloc|free|printf|fprintf|fopen|FILE)\b' || true)
  if [ -n "$hits" ]; then
    echo "FAIL: $f uses forbidden words:"
    echo "$hits"
    fail=1
  fi
done

if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  [ "$fail" = 0 ] || exit 1
  echo "SKIP: arm-none-eabi-gcc not found: the Debian package gcc-arm-none-eabi is" \
    "not installed (packaging/install-deps.sh test)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for opt in -O2 -Os; do
  objs=""
  for c in "$root"/models/*.c; do
    o="$tmp/$(basename "$c" .c)$opt.o"
    arm-none-eabi-gcc -std=c11 $opt -mcpu=cortex-m0 -mthumb -ffreestanding -nostdinc \
      -isystem "$(arm-none-eabi-gcc -print-file-name=include)" -iquote "$root" \
      -Wall -Wextra -Werror -c "$c" -o "$o"
    objs="$objs $o"
  done
  arm-none-eabi-ld -r $objs -o "$tmp/models$opt.o"
  undef=$(arm-none-eabi-nm -u "$tmp/models$opt.o" | awk '{print $2}' |
          grep -vxE 'memcpy|memset|memmove' || true)
  if [ -n "$undef" ]; then
    echo "FAIL: Cortex-M0 build ($opt) needs symbols models/ must not use:"
    echo "$undef"
    fail=1
  else
    size=$(arm-none-eabi-size "$tmp/models$opt.o" | awk 'NR==2 {print $1 + $2 + $3}')
    echo "Cortex-M0 $opt: no undefined symbols; $size bytes of code and data, 0 of them heap"
  fi
done
exit $fail
