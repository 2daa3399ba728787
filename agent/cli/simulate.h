/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-forecast simulate (simulate.c): the closed loop (closedloop.h) from the
 * command line, for a household trying its configuration on its own demand.
 */
#ifndef PANTRY_AGENT_SIMULATE_H
#define PANTRY_AGENT_SIMULATE_H

/*
 * argv[0] is "simulate". Prints the scores (and orders) on stdout, problems on
 * stderr. Returns the exit status: 0, 1 (a file or the run failed), 2 (usage).
 */
int simulate_main(int argc, char **argv);

#endif
