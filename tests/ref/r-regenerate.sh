#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run R's forecast package on the carparts series again (carparts-forecast.R)
# and check that its output equals the checked-in data/carparts-r.csv: the same
# rows and text fields, numbers equal to 1e-9 relative. Comment lines (R and
# package versions) are not compared. Without Rscript or the forecast package
# the test is skipped (exit 77). Takes a few minutes: holt() optimises alpha
# and beta for 2,674 series, croston() refits every prefix.
# Usage: r-regenerate.sh carparts-forecast.R carparts.csv carparts-r.csv
set -eu
script=$1
data=$2
want=$3

hint="Debian: apt-get install r-base-core r-cran-forecast"
if ! command -v Rscript >/dev/null 2>&1; then
  echo "Rscript not found: skipped ($hint)"
  exit 77
fi
if ! Rscript -e 'suppressPackageStartupMessages(library(forecast))' >/dev/null 2>&1
then
  echo "R package forecast not installed: skipped ($hint)"
  exit 77
fi
Rscript -e 'cat("R", paste(R.version$major, R.version$minor, sep = "."),
                "forecast", as.character(packageVersion("forecast")), "\n")'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
Rscript "$script" "$data" "$tmp/carparts-r.csv"

awk -v want="$want" '
function isnum(s) {
  return s ~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/
}
function absv(x) {
  return x < 0 ? -x : x
}
function complain(msg) {
  bad++
  if (bad <= 10)
    print "line " NR ": " msg
}
BEGIN {
  FS = ","
}
/^#/ {
  next
}
{
  do {
    ok = (getline line < want)
  } while (ok > 0 && line ~ /^#/)
  if (ok <= 0) {
    complain("not in the checked-in file: " substr($0, 1, 60))
    next
  }
  rows++
  n = split(line, w, ",")
  if (n != NF) {
    complain(NF " fields, checked in " n " (part " $1 ")")
    next
  }
  for (i = 1; i <= NF; i++) {
    if ($i == w[i])
      continue
    if (isnum($i) && isnum(w[i])) {
      a = $i + 0
      b = w[i] + 0
      m = absv(a) > absv(b) ? absv(a) : absv(b)
      d = absv(a - b)
      if (d > worst * m)
        worst = m > 0 ? d / m : 0
      if (d <= 1e-9 * m)
        continue
    }
    complain("part " $1 " " $2 " field " i ": R now gives " $i ", checked in " w[i])
  }
}
END {
  while ((getline line < want) > 0)
    if (line !~ /^#/) {
      missing++
      bad++
    }
  if (missing > 0)
    print missing " checked-in lines not produced any more"
  printf "%d rows compared, worst relative difference %.3g, %d differences\n",
         rows, worst, bad
  exit bad > 0
}' "$tmp/carparts-r.csv"
