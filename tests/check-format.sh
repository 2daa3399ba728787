#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The C sources match the house style (.clang-format at the root), as laid out
# by Debian 12's clang-format 14: other versions lay some constructs out
# otherwise, so there the check is skipped, with that reason. Usage:
#   check-format.sh SOURCE_ROOT
# Fix a file with: clang-format -i FILE
set -eu
root=$1
if ! command -v clang-format >/dev/null 2>&1; then
  echo "SKIP: clang-format not found: the Debian package clang-format is not installed"
  exit 77
fi
ver=$(clang-format --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
  echo "SKIP: clang-format ${ver:-?} here; the house style is that of Debian 12's clang-format 14"
  exit 77
fi
n=0
bad=0
for f in $(find "$root/models" "$root/sensors" "$root/agent" "$root/retailer" \
              "$root/tests" -name '*.[ch]' | sort); do
  n=$((n + 1))
  if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "FAIL: $f differs from .clang-format (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "$n files checked, $bad differ"
[ "$bad" = 0 ]
