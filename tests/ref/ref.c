/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The double-precision reference of models/ (see ref.h). Each function restates
 * the contract of its models/ counterpart in real arithmetic: the same clamps of
 * the documented domain, the same branch rules, but no Q-formats, no integer
 * rounding and no saturation beyond the documented bounds. Where models/ chooses
 * an algorithm (R's simple start, damping by half-life, TSB's first probability,
 * the cap on the interval factor of runout) the comment says where it is written.
 */
#include "tests/ref/ref.h"

#include <math.h>
#include <stddef.h>

static double
clampd(double v, double lo, double hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}

double
ref_decay(double dt_s, double half_life_s)
{
    if (half_life_s <= 0)
        return 0;
    dt_s = clampd(dt_s, 0, REF_DT_MAX_S);
    return exp2(-dt_s / half_life_s);
}

double
ref_alpha(double dt_s, double half_life_s)
{
    if (half_life_s <= 0)
        return 1;
    dt_s = clampd(dt_s, 0, REF_DT_MAX_S);
    /* 1 - 2^-x without cancellation: weights of 1e-8 keep full precision. */
    return -expm1(-dt_s / half_life_s * M_LN2);
}

/*
 * Inverse normal CDF. Acklam's approximation (coefficients as published by
 * P. J. Acklam, "An algorithm for computing the inverse normal cumulative
 * distribution function", 2003), relative error 1.15e-9, then one step of
 * Halley's method on Phi(x) - p with Phi from erfc, which brings it to the
 * precision of erfc.
 */
double
ref_normal_quantile(double p)
{
    static const double a[6] = {
        -3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
        1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00,
    };
    static const double b[5] = {
        -5.447609879822406e+01, 1.615858368580409e+02,  -1.556989798598866e+02,
        6.680131188771972e+01,  -1.328068155288572e+01,
    };
    static const double c[6] = {
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00,
    };
    static const double d[4] = {
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    };
    const double p_low = 0.02425;
    double x;

    if (!(p > 0))
        return -INFINITY;
    if (!(p < 1))
        return INFINITY;
    if (p < p_low) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - p_low) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* Halley: e = Phi(x) - p, u = e / phi(x), x -= u / (1 + x u / 2). */
    double e = 0.5 * erfc(-x / M_SQRT2) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double
ref_service_z(uint32_t service_bp)
{
    if (service_bp < 5000)
        service_bp = 5000;
    if (service_bp > 9999)
        service_bp = 9999;
    return ref_normal_quantile(service_bp / 10000.0);
}

void
ref_ses_init(struct ref_ses *s)
{
    s->level = 0;
    s->mad = 0;
    s->n = 0;
}

void
ref_ses_update(struct ref_ses *s, double y, double alpha)
{
    y = clampd(y, -REF_RATE_MAX_UGPD, REF_RATE_MAX_UGPD);
    alpha = clampd(alpha, 0, 1);
    if (s->n == 0) {
        /* R's initial = "simple": the first observation is the level. */
        s->level = y;
        s->n = 1;
        return;
    }
    double e = y - s->level;
    s->level += alpha * e;
    s->mad += alpha * (fabs(e) - s->mad);
    s->n++;
}

void
ref_holt_step_periodic(struct ref_holt_step *w, double alpha, double beta, double phi)
{
    w->alpha = alpha;
    w->beta = beta;
    w->growth = phi;
    w->carry = phi;
    w->dt = 1;
}

double
ref_holt_growth_time(double horizon_s, double damp_half_life_s)
{
    horizon_s = clampd(horizon_s, 0, REF_DT_MAX_S);
    if (damp_half_life_s <= 0)
        return horizon_s / REF_DAY_S;
    /* The integral of a trend that halves every h: tau (1 - 2^(-H/h)), tau = h/ln2. */
    double tau_days = clampd(damp_half_life_s, 1, REF_DT_MAX_S) / REF_DAY_S / M_LN2;
    return tau_days * ref_alpha(horizon_s, damp_half_life_s);
}

void
ref_holt_step_time(struct ref_holt_step *w, double dt_s, double half_life_s,
                   double trend_half_life_s, double damp_half_life_s)
{
    dt_s = clampd(dt_s, 1, REF_DT_MAX_S);
    w->alpha = ref_alpha(dt_s, half_life_s);
    w->beta = ref_alpha(dt_s, trend_half_life_s);
    w->growth = ref_holt_growth_time(dt_s, damp_half_life_s);
    w->carry = damp_half_life_s > 0 ? ref_decay(dt_s, damp_half_life_s) : 1;
    w->dt = dt_s / REF_DAY_S;
}

void
ref_holt_init(struct ref_holt *h)
{
    h->level = 0;
    h->trend = 0;
    h->mad = 0;
    h->first = 0;
    h->n = 0;
}

void
ref_holt_start(struct ref_holt *h, double level, double trend)
{
    h->level = clampd(level, -REF_RATE_MAX_UGPD, REF_RATE_MAX_UGPD);
    h->trend = clampd(trend, -REF_RATE_MAX_UGPD, REF_RATE_MAX_UGPD);
    h->first = h->level;
    h->mad = 0;
    h->n = 2;
}

double
ref_holt_forecast(const struct ref_holt *h, double growth)
{
    return h->level + h->trend * growth;
}

/* One step of zzhw(): xhat = l + g b, l' = xhat + a e, b' = c b + beta (s - c b). */
static void
holt_step(struct ref_holt *h, double y, const struct ref_holt_step *w)
{
    double xhat = ref_holt_forecast(h, w->growth);
    double e = y - xhat;
    double l = xhat + w->alpha * e;
    double slope = (l - h->level) / w->dt;
    double carried = h->trend * w->carry;
    h->trend = clampd(carried + w->beta * (slope - carried), -REF_RATE_MAX_UGPD,
                      REF_RATE_MAX_UGPD);
    h->level = clampd(l, -REF_RATE_MAX_UGPD, REF_RATE_MAX_UGPD);
    h->mad += w->alpha * (fabs(e) - h->mad);
}

void
ref_holt_update(struct ref_holt *h, double y, const struct ref_holt_step *w)
{
    y = clampd(y, -REF_RATE_MAX_UGPD, REF_RATE_MAX_UGPD);
    if (!(w->dt > 0))
        return;
    if (h->n == 0) {
        h->first = y;
        h->level = y;
        h->trend = 0;
        h->n = 1;
        return;
    }
    if (h->n == 1) {
        /* HoltWintersZZ: l.start = y1, b.start = y2 - y1, then zzhw() smooths */
        /* every observation from the first. */
        h->level = h->first;
        h->trend = (y - h->first) / w->dt;
        holt_step(h, h->first, w);
    }
    holt_step(h, y, w);
    h->n++;
}

void
ref_croston_init(struct ref_croston *c)
{
    ref_ses_init(&c->size);
    ref_ses_init(&c->interval);
    c->prob = 0;
    c->since = 0;
}

void
ref_croston_demand(struct ref_croston *c, double size, double interval, double alpha)
{
    ref_ses_update(&c->size, clampd(size, 0, REF_RATE_MAX_UGPD), alpha);
    ref_ses_update(&c->interval, clampd(interval, 1, REF_RATE_MAX_UGPD), alpha);
}

void
ref_croston_period(struct ref_croston *c, enum ref_croston_variant v, double y,
                   double alpha, double beta)
{
    if (c->since < (1ul << 30))
        c->since++;
    beta = clampd(beta, 0, 1);
    if (v == REF_CROSTON_TSB) {
        if (y > 0 && c->size.n == 0) {
            /* croston.c: the first demand sets the probability to one in the */
            /* periods seen so far instead of smoothing it from 0. */
            ref_ses_update(&c->size, y, alpha);
            c->prob = 1.0 / (double)c->since;
        } else if (c->size.n > 0) {
            if (y > 0)
                ref_ses_update(&c->size, y, alpha);
            c->prob += beta * ((y > 0 ? 1.0 : 0.0) - c->prob);
        }
    } else if (y > 0) {
        /* croston2(): intervals count periods, the first one from the start. */
        ref_croston_demand(c, y, (double)c->since, alpha);
    }
    if (y > 0)
        c->since = 0;
}

double
ref_croston_sba_correct(double x, double alpha)
{
    return x * (1 - clampd(alpha, 0, 1) / 2);
}

double
ref_croston_forecast_period(const struct ref_croston *c, enum ref_croston_variant v,
                            double alpha)
{
    if (c->size.n == 0)
        return 0;
    if (v == REF_CROSTON_TSB)
        return c->size.level * c->prob;
    double f = c->size.level / c->interval.level;
    return v == REF_CROSTON_SBA ? ref_croston_sba_correct(f, alpha) : f;
}

/* Time now + dt, or never beyond the horizon (runout.h). */
static double
at(double now_s, double dt_s)
{
    if (dt_s >= REF_HORIZON_MAX_S)
        return REF_NEVER;
    return now_s + dt_s;
}

double
ref_runout_c(double stock_mg, double rate_ugpd, double sigma_ugpd, double interval_s,
             double z)
{
    stock_mg = clampd(stock_mg, 0, REF_MASS_MAX_MG);
    sigma_ugpd = clampd(sigma_ugpd, 0, REF_RATE_MAX_UGPD);
    interval_s = clampd(interval_s, 1, REF_DT_MAX_S);
    if (z < 0)
        z = 0;
    if (!(rate_ugpd > 0) || stock_mg == 0)
        return 0;
    double t_mid = stock_mg * REF_UGPD_PER_MG_PER_S / rate_ugpd;
    double c = z / 2 * (sigma_ugpd / rate_ugpd) * sqrt(interval_s / t_mid);
    /* runout.c caps c at 2^20: the bounds are then a factor 2^42 from T_mid. */
    return clampd(c, 0, 1048576.0);
}

void
ref_runout_predict(double stock_mg, double rate_ugpd, double sigma_ugpd,
                   double interval_s, double z, double now_s, struct ref_runout *out)
{
    stock_mg = clampd(stock_mg, 0, REF_MASS_MAX_MG);
    if (!(rate_ugpd > 0)) {
        out->t_mid_s = out->t_lo_s = out->t_hi_s = REF_NEVER;
        return;
    }
    if (stock_mg == 0) {
        out->t_mid_s = out->t_lo_s = out->t_hi_s = now_s;
        return;
    }
    /*
     * r T +- z sigma sqrt(p T) = stock is a quadratic in sqrt(T); its roots are
     * sqrt(T_mid) / m and sqrt(T_mid) * m with m = sqrt(1 + c^2) + c.
     */
    double t_mid = stock_mg * REF_UGPD_PER_MG_PER_S / rate_ugpd;
    double c = ref_runout_c(stock_mg, rate_ugpd, sigma_ugpd, interval_s, z);
    double m = sqrt(1 + c * c) + c;
    out->t_mid_s = at(now_s, t_mid);
    out->t_hi_s = at(now_s, t_mid * m * m);
    out->t_lo_s = at(now_s, t_mid / (m * m));
}

double
ref_runout_demand_mg(double rate_ugpd, double sigma_ugpd, double interval_s, double z,
                     double horizon_s)
{
    rate_ugpd = clampd(rate_ugpd, 0, REF_RATE_MAX_UGPD);
    sigma_ugpd = clampd(sigma_ugpd, 0, REF_RATE_MAX_UGPD);
    interval_s = clampd(interval_s, 1, REF_DT_MAX_S);
    horizon_s = clampd(horizon_s, 0, REF_DT_MAX_S);
    if (z < 0)
        z = 0;
    double ug = rate_ugpd * horizon_s / REF_DAY_S +
                z * sigma_ugpd * sqrt(interval_s * horizon_s) / REF_DAY_S;
    return clampd(ug / 1000, 0, REF_MASS_MAX_MG * 1000);
}

void
ref_fc_init(struct ref_fc *f, int64_t t0_s)
{
    f->t_last_s = t0_s;
    f->span_s = 0;
    ref_croston_init(&f->cr);
    ref_ses_init(&f->rate);
    ref_ses_init(&f->fast);
    f->shift = 0;
    ref_holt_init(&f->holt);
    ref_ses_init(&f->freq);
}

/* The method's rate with the trend grown over growth_s after the last event. */
static double
method_rate(const struct ref_fc *f, const struct ref_fc_params *p, double growth_s)
{
    if (p->method == REF_FC_SES)
        return f->rate.level;
    if (p->method == REF_FC_HOLT)
        return ref_holt_forecast(&f->holt,
                                 ref_holt_growth_time(growth_s, p->damp_half_life_s));
    if (p->method == REF_FC_TSB)
        return f->cr.size.level * 1000 * f->freq.level;
    double interval = f->cr.interval.level;
    double r = f->cr.size.level * REF_UGPD_PER_MG_PER_S / interval;
    if (p->method == REF_FC_SBA)
        r = ref_croston_sba_correct(r, ref_alpha(interval, p->half_life_s));
    return r;
}

/* forecast.c's rate_at(): horizon-averaged rate with overdue decay. */
/* alpha_e: the weight of the silence if the caller has it, else NAN. */
static double
rate_at(const struct ref_fc *f, const struct ref_fc_params *p, int64_t now_s,
        double horizon_s, double alpha_e)
{
    double e = clampd((double)now_s - (double)f->t_last_s, 0, REF_DT_MAX_S);
    double h = clampd(horizon_s, 0, REF_DT_MAX_S);
    /* The average of a linear rate over [now, now + h] is its value at h / 2. */
    double r = method_rate(f, p, e + h / 2);
    if ((p->overdue_decay || p->method == REF_FC_TSB) && e > f->cr.interval.level) {
        /* Silence as an observation: one typical event in the time elapsed. */
        double pending = f->cr.size.level * REF_UGPD_PER_MG_PER_S / e;
        if (pending < r)
            r += (pending - r) *
                 (isnan(alpha_e) ? ref_alpha(e, p->half_life_s) : alpha_e);
    }
    return clampd(r, 0, REF_RATE_MAX_UGPD);
}

double
ref_fc_event_alpha(const struct ref_fc *f, const struct ref_fc_params *p, double dt_s)
{
    double dt = clampd(dt_s, 1, REF_DT_MAX_S);
    /* forecast.c's warm-up: the share of the time seen so far, while larger. */
    double span = clampd(f->span_s + dt, 1, REF_SPAN_MAX_S);
    return fmax(ref_alpha(dt, p->half_life_s), dt / span);
}

double
ref_fc_event_weight(const struct ref_fc *f, const struct ref_fc_params *p)
{
    /* One weight per event, the typical interval's, with a 1/n warm-up; the */
    /* interval exact (forecast.c rounds it to the second first). */
    if (f->cr.interval.n == 0)
        return 1;
    return fmax(ref_alpha(f->cr.interval.level, p->half_life_s),
                1.0 / ((double)f->cr.interval.n + 1));
}

double
ref_fc_rate_before(const struct ref_fc *f, const struct ref_fc_params *p, double dt_s)
{
    double dt = clampd(dt_s, 1, REF_DT_MAX_S);
    /* The silence before the event is weighted like the event itself. */
    return rate_at(f, p, f->t_last_s + (int64_t)dt, 0, ref_fc_event_alpha(f, p, dt));
}

void
ref_fc_consume(struct ref_fc *f, const struct ref_fc_params *p, int64_t t_s, double mg)
{
    mg = clampd(mg, 0, REF_MASS_MAX_MG);
    double dt = clampd((double)t_s - (double)f->t_last_s, 1, REF_DT_MAX_S);
    /* forecast.h: after 4 events, a silence over 4 typical intervals is one. */
    if (f->cr.size.n >= 4) {
        double typ = clampd(round(f->cr.interval.level), 1, REF_DT_MAX_S);
        if (dt > 4 * typ)
            dt = typ;
    }
    double alpha = ref_fc_event_alpha(f, p, dt);
    double y = mg * REF_UGPD_PER_MG_PER_S / dt;

    f->span_s = clampd(f->span_s + dt, 1, REF_SPAN_MAX_S);
    f->t_last_s = t_s > f->t_last_s ? t_s : f->t_last_s + 1;
    ref_croston_demand(&f->cr, mg, dt, ref_fc_event_weight(f, p));
    if (p->method == REF_FC_SES) {
        ref_ses_update(&f->rate, y, alpha);
        /* forecast.h: a fast rate beyond 5/4 (or under 4/5) of the level for 4
         * events in a row becomes the level. */
        double h = fmax(floor((double)p->half_life_s / 4), 1);
        ref_ses_update(&f->fast, y, fmax(ref_alpha(dt, h), dt / f->span_s));
        if (f->fast.level > 1.25 * f->rate.level)
            f->shift = f->shift > 0 ? f->shift + 1 : 1;
        else if (f->fast.level < f->rate.level * 4 / 5)
            f->shift = f->shift < 0 ? f->shift - 1 : -1;
        else
            f->shift = 0;
        if (f->shift >= 4 || f->shift <= -4) {
            f->rate.level = f->fast.level;
            f->shift = 0;
        }
    } else if (p->method == REF_FC_HOLT) {
        if (f->holt.n == 0) {
            /* forecast.h: the event form starts at the first rate, no trend. */
            ref_holt_start(&f->holt, y, 0);
        } else {
            struct ref_holt_step w;
            ref_holt_step_time(&w, dt, p->half_life_s, p->trend_half_life_s,
                               p->damp_half_life_s);
            w.alpha = alpha; /* the event's weight, warm-up included */
            ref_holt_update(&f->holt, y, &w);
        }
    } else if (p->method == REF_FC_TSB) {
        ref_ses_update(&f->freq, REF_DAY_S / dt, alpha);
    }
}

void
ref_fc_rate(const struct ref_fc *f, const struct ref_fc_params *p, int64_t now_s,
            double horizon_s, struct ref_fc_rate *out)
{
    out->interval_s = f->cr.interval.n > 0
                          ? clampd(f->cr.interval.level, 1, REF_DT_MAX_S)
                          : REF_DAY_S;
    if (f->cr.size.n == 0) {
        out->rate_ugpd = 0;
        out->sigma_ugpd = 0;
        return;
    }
    out->rate_ugpd = rate_at(f, p, now_s, horizon_s, NAN);
    out->sigma_ugpd = ref_fc_sigma(f->cr.size.mad, f->cr.interval.mad, f->cr.size.level,
                                   f->cr.interval.level, f->cr.size.n, out->rate_ugpd,
                                   out->interval_s);
}

double
ref_fc_sigma(double size_mad, double interval_mad, double size, double interval,
             unsigned long events, double rate_ugpd, double p_s)
{
    /* A normal's standard deviation is sqrt(pi / 2) times its mean absolute
     * deviation; before 4 events at least half the size and the interval. */
    double sd_size = size_mad * sqrt(M_PI / 2), sd_gap = interval_mad * sqrt(M_PI / 2);
    if (events < 4) {
        sd_size = fmax(sd_size, size / 2);
        sd_gap = fmax(sd_gap, interval / 2);
    }
    double cap = 2147483648.0;
    double a = fmin(sd_size, cap),
           b = fmin(sd_gap * rate_ugpd / REF_UGPD_PER_MG_PER_S, cap);
    /* Over T: variance (T / p)(a^2 + b^2) = (sigma^2 p T) with sigma as a rate. */
    return clampd(sqrt(a * a + b * b) * REF_UGPD_PER_MG_PER_S / p_s, 0,
                  REF_RATE_MAX_UGPD);
}

void
ref_fc_runout(const struct ref_fc *f, const struct ref_fc_params *p, double stock_mg,
              uint32_t service_bp, int64_t now_s, struct ref_runout *out,
              struct ref_fc_rate *used)
{
    struct ref_fc_rate r;
    double z = ref_service_z(service_bp);
    ref_fc_rate(f, p, now_s, 0, &r);
    ref_runout_predict(stock_mg, r.rate_ugpd, r.sigma_ugpd, r.interval_s, z,
                       (double)now_s, out);
    if (p->method == REF_FC_HOLT && out->t_mid_s != REF_NEVER) {
        /* Holt's rate averaged until the first estimate of the runout. */
        ref_fc_rate(f, p, now_s, out->t_mid_s - (double)now_s, &r);
        ref_runout_predict(stock_mg, r.rate_ugpd, r.sigma_ugpd, r.interval_s, z,
                           (double)now_s, out);
    }
    if (used != NULL)
        *used = r;
}

void
ref_policy_decide(const struct ref_policy_in *in, struct ref_policy_out *out)
{
    double z = ref_service_z(in->service_bp);
    double horizon = clampd(in->lead_time_s, 0, REF_DT_MAX_S) +
                     clampd(in->review_s, 0, REF_DT_MAX_S);
    double cover = clampd(in->cover_s, 0, REF_DT_MAX_S);

    out->order = false;
    out->packs = 0;
    out->packs_exact = 0;
    out->position_mg = clampd(in->stock_mg, 0, REF_MASS_MAX_MG) +
                       clampd(in->on_order_mg, 0, REF_MASS_MAX_MG);
    out->reorder_point_mg =
        ref_runout_demand_mg(in->rate_ugpd, in->sigma_ugpd, in->interval_s, z, horizon);
    out->order_up_to_mg = ref_runout_demand_mg(in->rate_ugpd, in->sigma_ugpd,
                                               in->interval_s, z, horizon + cover);
    double peak = clampd(in->peak_mg, 0, REF_MASS_MAX_MG);
    if (peak > out->reorder_point_mg) {
        out->order_up_to_mg += peak - out->reorder_point_mg;
        out->reorder_point_mg = peak;
    }
    if (!(in->rate_ugpd > 0) || !(in->pack_mg > 0) || in->max_packs == 0)
        return;
    if (out->position_mg > out->reorder_point_mg)
        return;
    /* Whole packs up to the order-up-to level: at least one, at most the cap. */
    double gap = out->order_up_to_mg - out->position_mg;
    out->packs_exact = gap / in->pack_mg;
    double packs = gap > 0 ? ceil(out->packs_exact) : 1;
    if (packs < 1)
        packs = 1;
    out->packs = packs > in->max_packs ? in->max_packs : (uint32_t)packs;
    out->order = true;
}

void
ref_lead_init(struct ref_lead *l, double default_s, double spread_s)
{
    double sd = clampd(spread_s, 0, REF_DT_MAX_S);
    l->mean_s = clampd(default_s, 0, REF_DT_MAX_S);
    l->var_s2 = sd * sd;
    l->n = 0;
}

double
ref_lead_observe(struct ref_lead *l, double measured_s, double floor)
{
    /* The prior counts as one order: weights of evidence 1/2, 1/3, ... */
    double w = 1.0 / ((double)l->n + 2);
    floor = clampd(floor, 0, 1);
    if (w < floor)
        w = floor;
    measured_s = clampd(measured_s, 0, REF_DT_MAX_S);
    double d = measured_s - l->mean_s;
    l->mean_s = clampd(l->mean_s + w * d, 0, REF_DT_MAX_S);
    /* West (1979): the exponentially weighted variance. */
    l->var_s2 = (1 - w) * (l->var_s2 + w * d * d);
    l->n++;
    return w;
}

double
ref_lead_plan_s(const struct ref_lead *l, double z)
{
    if (z < 0)
        z = 0;
    return clampd(l->mean_s + z * sqrt(l->var_s2), 0, REF_DT_MAX_S);
}
