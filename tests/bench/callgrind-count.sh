#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints the instructions a program executes inside its measure_* functions,
# counted by valgrind's callgrind (collection off outside them). The program's
# stdout goes to $CALLGRIND_STDOUT when set, else is discarded.
# Usage: callgrind-count.sh PROGRAM [ARGS...]
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='measure_*' \
    --callgrind-out-file="$tmp/cg.out" "$@" >"${CALLGRIND_STDOUT:-/dev/null}" \
    2>"$tmp/err"; then
  cat "$tmp/err" >&2
  exit 1
fi
awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg.out"
