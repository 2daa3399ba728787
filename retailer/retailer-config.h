/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration file of `pantry-retailer listen` (pantry-retailer.conf(5)):
 * a libconfig file whose every setting is one of listen's long options, by the
 * same name. The file is not read into a structure of its own: it becomes
 * option arguments ("--name=value") placed before the command line's, so that
 * the one option parser of listen checks both, and an option given on the
 * command line replaces the file's setting of the same name (all its values,
 * for --windows). A new option of listen is thereby a setting too.
 */
#ifndef RETAILER_CONFIG_H
#define RETAILER_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Read when there is no --config and the file exists. */
#define CONFIG_DEFAULT_PATH "/etc/pantry-retailer/pantry-retailer.conf"
/* The largest file read, in bytes: a few dozen settings fit many times over. */
#define CONFIG_FILE_MAX (64 * 1024)
/* The longest text value, in bytes (paths, URLs, connection strings). */
#define CONFIG_VALUE_MAX 4096

struct config_args {
    int argc;     /* argv[0], the file's options, the command line's */
    char **argv;  /* NULL-terminated; what getopt_long should parse */
    char *file;   /* the file read, NULL when none was */
    char **owned; /* the strings made from the file */
    size_t n_owned;
    unsigned *line; /* per entry of the option table: the file's line, 0 if none */
    size_t n_opts;
};

/*
 * Makes the arguments listen parses: finds --config FILE in argv (parsed with
 * opts, which must hold {"config", required_argument, ...}), or takes
 * CONFIG_DEFAULT_PATH if that exists (--config '' reads none), and reads the
 * file: a regular file of at
 * most CONFIG_FILE_MAX bytes, owned by root or the caller, writable by no one
 * else, with no @include. Every setting must name a long option of opts other
 * than config and help: a text or a whole number for an option with an
 * argument (a list of texts for windows), true or false for one without.
 * Settings of options that argv gives are left out. Leaves getopt's state
 * (optind, opterr) as at the start of a parse.
 * Returns 0, -EINVAL (a bad file or setting; err says FILE:LINE: what) or
 * -ENOMEM. *out is to be freed with config_args_fini() in every case.
 */
int config_args_make(const struct option *opts, int argc, char **argv,
                     struct config_args *out, char *err, size_t errlen);

/* "FILE:LINE" when the option named (no "--") was set by the file, else NULL;
 * buf holds it. */
const char *config_args_where(const struct config_args *a, const struct option *opts,
                              const char *name, char *buf, size_t len);

/* Frees what config_args_make() made; a zeroed or NULL a is fine. */
void config_args_fini(struct config_args *a);

#endif
