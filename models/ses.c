/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Simple exponential smoothing (see ses.h; the update is inline there).
 */
#include "models/ses.h"

#include "models/fx.h"

void
ses_init(struct ses *s)
{
    s->level = 0;
    s->mad = 0;
    s->n = 0;
}
