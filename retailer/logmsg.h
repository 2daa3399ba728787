/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's log: one line "pantry-retailer: TEXT" on stderr (journald
 * under the unit), formatted into a buffer first and written with one call,
 * so that the lines of Paho's callback thread, the webhook's worker and the
 * main thread never interleave. Lines longer than 1 KiB are cut.
 */
#ifndef PANTRY_RETAILER_LOGMSG_H
#define PANTRY_RETAILER_LOGMSG_H

void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
