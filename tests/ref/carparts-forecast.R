# SPDX-License-Identifier: GPL-2.0-or-later
#
# R's forecast package on the carparts series, as the independent source of the
# expected values for tests/ref/test-r-compare.c. For every usable series it
# writes the input and the one-step-ahead fitted values of ses() (simple
# initialisation, alpha 0.1 and 0.3), holt() (simple initialisation, alpha and
# beta estimated by R) and croston() (alpha 0.1), each followed by the forecast
# for the month after the series ends. Run it with
#
#     Rscript tests/ref/carparts-forecast.R tests/data/carparts.csv out.csv
#
# Output: plain CSV, '#' lines are comments; then one line per series and kind,
#
#     part,kind,alpha,beta,status,n,v[1],...,v[n],f
#
# kind "y" carries the series itself (alpha, beta, status empty, no f); "ses0.1",
# "ses0.3" and "croston" the fitted values and the forecast f; "holt" the same,
# with alpha and beta those R chose (%.17g, exact) and status "opt" (R's
# estimates), "warn" (R's estimates, optimiser warned) or "fallback" (optimiser
# failed; fixed alpha 0.3, beta 0.1 were used). Fitted values are printed with
# %.10g (relative rounding below 1e-10); "NA" marks croston()'s first value.
#
# Series: an empty field is NA; leading and trailing NAs are stripped; a series
# with an interior NA or fewer than 3 values is skipped (the counts are written
# to the header). Algorithms, as read in forecast 8.20: ses() and holt() with
# initial = "simple" call HoltWintersZZ(), whose zzhw() recursion starts from
# l0 = y[1], b0 = y[2] - y[1] and smooths every value including y[1]; holt()
# estimates alpha and beta by L-BFGS-B on the in-sample SSE. croston() refits
# croston2() on x[1:i] for every fitted value: ses() of the non-zero sizes and of
# the intervals between them (counted from the series start), ratio of levels.

suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
    stop("usage: Rscript carparts-forecast.R carparts.csv out.csv")
}

fmt <- function(v) {
    ifelse(is.na(v), "NA", sprintf("%.10g", v))
}

d <- read.csv(args[1], colClasses = "character", check.names = FALSE)

row <- function(part, kind, alpha, beta, status, values) {
    paste(c(part, kind, alpha, beta, status, length(values) - (kind != "y"),
            fmt(values)), collapse = ",")
}

# One series: its output lines, or a skip reason.
one <- function(i) {
    part <- d[i, 1]
    v <- suppressWarnings(as.numeric(unlist(d[i, -1])))
    ok <- which(!is.na(v))
    if (length(ok) == 0) {
        return(list(skip = "short"))
    }
    y <- v[min(ok):max(ok)]
    if (any(is.na(y))) {
        return(list(skip = "interior"))
    }
    if (length(y) < 3) {
        return(list(skip = "short"))
    }
    out <- row(part, "y", "", "", "", y)
    for (a in c(0.1, 0.3)) {
        fc <- ses(y, h = 1, initial = "simple", alpha = a)
        out <- c(out, row(part, sprintf("ses%.1f", a), sprintf("%.17g", a), "", "",
                          c(as.numeric(fc$fitted), fc$mean[1])))
    }
    status <- "opt"
    fc <- withCallingHandlers(
        tryCatch(holt(y, h = 1, initial = "simple"),
                 error = function(e) NULL),
        warning = function(w) {
            status <<- "warn"
            invokeRestart("muffleWarning")
        })
    if (is.null(fc)) {
        status <- "fallback"
        fc <- holt(y, h = 1, initial = "simple", alpha = 0.3, beta = 0.1)
    }
    out <- c(out, row(part, "holt", sprintf("%.17g", fc$model$par[["alpha"]]),
                      sprintf("%.17g", fc$model$par[["beta"]]), status,
                      c(as.numeric(fc$fitted), fc$mean[1])))
    fc <- croston(y, h = 1, alpha = 0.1)
    out <- c(out, row(part, "croston", "0.10000000000000001", "", "",
                      c(as.numeric(fc$fitted), fc$mean[1])))
    list(skip = "", status = status, lines = out)
}

# Series are independent: use every core (R_CORES overrides); the output does
# not depend on the order of evaluation.
cores <- as.integer(Sys.getenv("R_CORES", parallel::detectCores()))
if (is.na(cores) || cores < 1 || .Platform$OS.type != "unix") {
    cores <- 1
}
res <- parallel::mclapply(seq_len(nrow(d)), one, mc.cores = cores)
failed <- vapply(res, function(r) inherits(r, "try-error"), TRUE)
if (any(failed)) {
    stop(res[[which(failed)[1]]])
}
skip <- vapply(res, function(r) r$skip, "")
status <- vapply(res, function(r) if (r$skip == "") r$status else "", "")

header <- c(
    "# carparts (tests/data/carparts.csv) through R's forecast package",
    sprintf("# R %s, forecast %s; written by tests/ref/carparts-forecast.R",
            paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("forecast"))),
    sprintf(paste("# series: %d in file, %d used, %d skipped (interior NA),",
                  "%d skipped (< 3 values)"),
            nrow(d), sum(skip == ""), sum(skip == "interior"), sum(skip == "short")),
    sprintf("# holt: %d optimiser failures (fallback), %d optimiser warnings",
            sum(status == "fallback"), sum(status == "warn")),
    "part,kind,alpha,beta,status,n,values")
writeLines(c(header, unlist(lapply(res, function(r) r$lines))), args[2])
