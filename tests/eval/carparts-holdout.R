#!/usr/bin/env Rscript
# SPDX-License-Identifier: GPL-2.0-or-later
#
# R's side of the carparts hold-out comparison: for every series of
# tests/data/carparts.csv that pantry-eval also scores (leading and trailing
# missing months dropped, no gap inside, at least 12 in-sample months), hold
# out the last 3 months and forecast them from the months before with R's
# forecast package: naive(), ses(initial = "simple", alpha = 0.1),
# holt(initial = "simple") with alpha and beta estimated (HoltWintersZZ,
# L-BFGS-B on the in-sample squared errors), croston(alpha = 0.1), SBA as
# croston() times 1 - alpha / 2 (forecast 8.20's croston() has no SBA option),
# and TSB written out below from Teunter, Syntetos and Babai (2011), since no
# installed package has it. Writes one line per series (the forecasts, R's
# Holt weights and the MASE scale; "NA" where R failed) so that pantry-eval
# scores R's forecasts with the same code as its own and runs without R, and
# prints R's own summary of MAE and MASE. Usage (from the source root; the
# arguments default to these paths):
#
#   Rscript tests/eval/carparts-holdout.R tests/data/carparts.csv \
#       tests/eval/carparts-r.csv

suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
src <- if (length(args) >= 1) args[1] else "tests/data/carparts.csv"
dst <- if (length(args) >= 2) args[2] else "tests/eval/carparts-r.csv"

H <- 3          # months held out
MIN_TRAIN <- 12 # in-sample months at least
ALPHA <- 0.1    # ses, croston, sba, tsb (size)
BETA <- 0.1     # tsb (probability of demand)

# TSB: the demand size is smoothed when there is demand, the probability of
# demand every month. Start as in models/croston.c: at the first demand, in
# month k, size = that demand and probability = 1 / k.
tsb <- function(y, h, alpha, beta) {
  size <- NA
  prob <- 0
  for (k in seq_along(y)) {
    if (is.na(size)) {
      if (y[k] > 0) {
        size <- y[k]
        prob <- 1 / k
      }
    } else {
      if (y[k] > 0) size <- size + alpha * (y[k] - size)
      prob <- prob + beta * ((y[k] > 0) - prob)
    }
  }
  rep(if (is.na(size)) 0 else size * prob, h)
}

d <- read.csv(src, colClasses = "character", check.names = FALSE)
months <- ncol(d) - 1
rows <- list()
means <- c() # in-sample means, for the summary only (not written)
holt_warnings <- 0
for (i in seq_len(nrow(d))) {
  v <- suppressWarnings(as.numeric(unlist(d[i, -1])))
  obs <- which(!is.na(v))
  if (length(obs) == 0) next
  v <- v[min(obs):max(obs)]
  if (anyNA(v) || length(v) < MIN_TRAIN + H) next
  n <- length(v) - H
  train <- ts(v[1:n], frequency = 12)
  fc_naive <- as.numeric(naive(train, h = H)$mean)
  fc_ses <- as.numeric(ses(train, h = H, initial = "simple", alpha = ALPHA)$mean)
  # L-BFGS-B often stops with ABNORMAL_TERMINATION_IN_LNSRCH on these series:
  # forecast keeps the result with a warning (counted here), or stops with
  # "optimization failure" (NA).
  fit <- withCallingHandlers(
    tryCatch(holt(train, h = H, initial = "simple"), error = function(e) NULL),
    warning = function(w) {
      holt_warnings <<- holt_warnings + 1
      invokeRestart("muffleWarning")
    })
  if (is.null(fit)) {
    fc_holt <- rep(NA, H)
    ab <- c(NA, NA)
  } else {
    fc_holt <- as.numeric(fit$mean)
    ab <- c(fit$model$par[["alpha"]], fit$model$par[["beta"]])
  }
  fc_croston <- as.numeric(croston(train, h = H, alpha = ALPHA)$mean)
  fc_sba <- fc_croston * (1 - ALPHA / 2)
  fc_tsb <- tsb(as.numeric(train), H, ALPHA, BETA)
  scale <- mean(abs(diff(as.numeric(train))))
  means <- c(means, mean(as.numeric(train)))
  rows[[length(rows) + 1]] <- c(
    d[i, 1], n, scale, fc_naive[1], fc_ses[1], fc_holt, ab, fc_croston[1], fc_sba[1],
    fc_tsb[1], v[(n + 1):(n + H)])
}

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.9g", as.numeric(x)))
# Every method but Holt forecasts the same value for all H months: one column.
header <- c("part", "n_train", "scale", "naive", "ses", paste0("holt", 1:H),
            "holt_alpha", "holt_beta", "croston", "sba", "tsb")
con <- file(dst, "w")
writeLines(paste(header, collapse = ","), con)
actual <- matrix(NA, length(rows), H)
for (r in seq_along(rows)) {
  x <- rows[[r]]
  k <- length(x)
  actual[r, ] <- as.numeric(x[(k - H + 1):k])
  x <- x[1:(k - H)]
  writeLines(paste(c(x[1], x[2], num(x[-(1:2)])), collapse = ","), con)
}
close(con)

# R's own summary, the rule pantry-eval applies too: the series where every R
# method gave a forecast (holt() fails on a few); MAE per series averaged over
# them; RMSE the root of the mean over them of each series' mean squared error;
# MASE = MAE / scale averaged over those whose scale is not 0 (a constant
# in-sample series has no naive error to scale by). zero (forecast 0) and mean
# (the in-sample mean) are baselines that pantry-eval scores too.
col <- function(name) sapply(rows, function(x) as.numeric(x[match(name, header)]))
scale <- col("scale")
fcs <- list(naive = col("naive"), ses = col("ses"),
            holt = sapply(1:H, function(k) col(paste0("holt", k))),
            croston = col("croston"), sba = col("sba"), tsb = col("tsb"),
            zero = rep(0, length(rows)), mean = means)
mae <- sapply(fcs, function(f) rowMeans(abs(matrix(f, length(rows), H) - actual)))
mse <- sapply(fcs, function(f) rowMeans((matrix(f, length(rows), H) - actual)^2))
ok <- rowSums(is.na(mae)) == 0
sc <- ok & scale > 0
cat(sprintf("carparts: %d series kept, holt() failed on %d and warned on %d\n",
            length(rows), sum(!ok), holt_warnings))
cat(sprintf("%d series scored, %d with MASE scale > 0\n", sum(ok), sum(sc)))
cat(sprintf("%-8s %8s %8s %8s\n", "method", "MAE", "RMSE", "MASE"))
for (m in names(fcs)) {
  cat(sprintf("%-8s %8.4f %8.4f %8.4f\n", m, mean(mae[ok, m]), sqrt(mean(mse[ok, m])),
              mean(mae[sc, m] / scale[sc])))
}
