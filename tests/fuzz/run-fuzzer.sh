#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one libFuzzer target for a bounded time, starting from the checked-in
# corpus without writing to it. New inputs and any crash go to a folder under
# the build directory, named in the output. Usage:
#   run-fuzzer.sh FUZZER SECONDS CORPUS_DIR WORK_DIR
set -eu
fuzzer=$1
seconds=$2
corpus=$3
work=$4
mkdir -p "$work/new" "$work/artifacts"
# libFuzzer exits 77 on a crash by default, which meson counts as a skip:
# a finding must fail the test.
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/new" "$corpus"
