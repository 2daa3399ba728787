/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pantry-retailer keys`: the operator's hand on the key table of the ledger
 * (keytab.h): list, add, expect, revoke, rotate, import. argv[0] is the
 * command's name as main() passes it.
 */
#ifndef PANTRY_RETAILER_KEYS_CMD_H
#define PANTRY_RETAILER_KEYS_CMD_H

/* Returns the exit status: 0, 1 (a refusal or a database failure), 2 (usage). */
int keys_cmd(int argc, char **argv);

#endif
