/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Simple exponential smoothing (see ses.h). Two multiplies by a Q32 weight per
 * observation; no division.
 */
#include "ses.h"

#include "fx.h"

void
ses_init(struct ses *s)
{
    s->level = 0;
    s->mad = 0;
    s->n = 0;
}

void
ses_update(struct ses *s, int64_t y, uint64_t alpha_q32)
{
    y = fx_clamp(y, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    if (alpha_q32 > MODELS_Q32_ONE)
        alpha_q32 = MODELS_Q32_ONE;
    if (s->n == 0) {
        s->level = y;
        s->n = 1;
        return;
    }
    /* Both terms are within +-2e17, so the differences cannot overflow. */
    int64_t e = y - s->level;
    s->level += fx_mul_q32(e, alpha_q32);
    s->mad += fx_mul_q32((int64_t)fx_abs(e) - s->mad, alpha_q32);
    if (s->n != UINT32_MAX)
        s->n++;
}

int64_t
ses_forecast(const struct ses *s)
{
    return s->level;
}
