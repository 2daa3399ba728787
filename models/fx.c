/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed-point arithmetic for models/ (see fx.h for each function's contract).
 *
 * Two implementations of the few primitives a small CPU lacks: native 64-bit
 * multiply, divide and 128-bit products where the compiler has them in hardware
 * (x86-64, arm64, armhf), and shift-and-add loops when FX_SOFT_ARITH is set, as it
 * is for Cortex-M0 (ARMv6-M has neither a 32x32->64 multiply nor any divide). Both
 * compute exact integer results, so their outputs are equal bit for bit; the test
 * suite builds models/ both ways and compares them on the golden vectors.
 */
#include "models/fx.h"

/*
 * 2^32 * (1 - 2^(-i/256)) for i = 0..256, rounded to nearest. Generated with
 * Python's math library; tests/test-fx.c recomputes it with libm and compares.
 * Storing 1 - 2^-f rather than 2^-f keeps small smoothing weights exact to the
 * last bit, which matters for events a few seconds apart.
 */
static const uint32_t alpha_tab[257] = {
    0u,          11613351u,   23195300u,   34745931u,   46265331u,   57753583u,
    69210771u,   80636980u,   92032293u,   103396793u,  114730565u,  126033690u,
    137306253u,  148548335u,  159760020u,  170941388u,  182092523u,  193213506u,
    204304418u,  215365341u,  226396356u,  237397543u,  248368984u,  259310759u,
    270222948u,  281105631u,  291958888u,  302782798u,  313577441u,  324342896u,
    335079242u,  345786557u,  356464920u,  367114410u,  377735104u,  388327080u,
    398890416u,  409425189u,  419931477u,  430409357u,  440858905u,  451280197u,
    461673312u,  472038324u,  482375309u,  492684344u,  502965504u,  513218864u,
    523444500u,  533642486u,  543812897u,  553955808u,  564071294u,  574159427u,
    584220283u,  594253935u,  604260456u,  614239920u,  624192401u,  634117970u,
    644016702u,  653888667u,  663733940u,  673552591u,  683344693u,  693110318u,
    702849537u,  712562422u,  722249044u,  731909474u,  741543782u,  751152040u,
    760734318u,  770290686u,  779821214u,  789325972u,  798805029u,  808258456u,
    817686321u,  827088694u,  836465643u,  845817237u,  855143546u,  864444636u,
    873720577u,  882971436u,  892197282u,  901398181u,  910574202u,  919725411u,
    928851875u,  937953663u,  947030839u,  956083472u,  965111626u,  974115369u,
    983094767u,  992049884u,  1000980788u, 1009887542u, 1018770214u, 1027628867u,
    1036463567u, 1045274378u, 1054061366u, 1062824593u, 1071564126u, 1080280027u,
    1088972362u, 1097641192u, 1106286582u, 1114908596u, 1123507297u, 1132082747u,
    1140635009u, 1149164147u, 1157670222u, 1166153297u, 1174613435u, 1183050697u,
    1191465145u, 1199856840u, 1208225845u, 1216572221u, 1224896029u, 1233197329u,
    1241476184u, 1249732652u, 1257966796u, 1266178675u, 1274368350u, 1282535880u,
    1290681325u, 1298804746u, 1306906202u, 1314985751u, 1323043454u, 1331079370u,
    1339093556u, 1347086073u, 1355056979u, 1363006331u, 1370934189u, 1378840611u,
    1386725654u, 1394589376u, 1402431835u, 1410253089u, 1418053194u, 1425832209u,
    1433590189u, 1441327192u, 1449043275u, 1456738494u, 1464412906u, 1472066566u,
    1479699531u, 1487311857u, 1494903600u, 1502474815u, 1510025558u, 1517555885u,
    1525065849u, 1532555507u, 1540024914u, 1547474124u, 1554903191u, 1562312171u,
    1569701117u, 1577070084u, 1584419125u, 1591748296u, 1599057648u, 1606347237u,
    1613617115u, 1620867335u, 1628097951u, 1635309017u, 1642500583u, 1649672705u,
    1656825433u, 1663958820u, 1671072920u, 1678167783u, 1685243462u, 1692300009u,
    1699337475u, 1706355913u, 1713355373u, 1720335907u, 1727297566u, 1734240401u,
    1741164462u, 1748069802u, 1754956470u, 1761824517u, 1768673993u, 1775504948u,
    1782317433u, 1789111497u, 1795887191u, 1802644563u, 1809383664u, 1816104543u,
    1822807249u, 1829491831u, 1836158338u, 1842806820u, 1849437324u, 1856049900u,
    1862644596u, 1869221460u, 1875780541u, 1882321886u, 1888845544u, 1895351562u,
    1901839989u, 1908310871u, 1914764256u, 1921200191u, 1927618725u, 1934019902u,
    1940403772u, 1946770379u, 1953119772u, 1959451996u, 1965767099u, 1972065126u,
    1978346123u, 1984610136u, 1990857213u, 1997087397u, 2003300735u, 2009497273u,
    2015677056u, 2021840129u, 2027986537u, 2034116326u, 2040229540u, 2046326225u,
    2052406424u, 2058470183u, 2064517546u, 2070548557u, 2076563260u, 2082561700u,
    2088543921u, 2094509966u, 2100459879u, 2106393704u, 2112311485u, 2118213263u,
    2124099084u, 2129968990u, 2135823024u, 2141661229u, 2147483648u,
};

/* ln 2 in Q0.32. */
#define LN2_Q32 2977044472u

struct u128 {
    uint64_t hi;
    uint64_t lo;
};

static struct u128
mul64(uint64_t a, uint64_t b)
{
    struct u128 r;
#ifdef FX_HAVE_INT128
    unsigned __int128 p = (unsigned __int128)a * b;
    r.hi = (uint64_t)(p >> 64);
    r.lo = (uint64_t)p;
#else
    uint64_t p00 = fx_mul_u32((uint32_t)a, (uint32_t)b);
    uint64_t p01 = fx_mul_u32((uint32_t)a, (uint32_t)(b >> 32));
    uint64_t p10 = fx_mul_u32((uint32_t)(a >> 32), (uint32_t)b);
    uint64_t p11 = fx_mul_u32((uint32_t)(a >> 32), (uint32_t)(b >> 32));
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    r.lo = (p00 & 0xFFFFFFFFu) | (mid << 32);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
    return r;
}

static struct u128
add128(struct u128 a, uint64_t b)
{
    a.lo += b;
    if (a.lo < b)
        a.hi++;
    return a;
}

/* x >> n for n < 64, without a runtime helper on ARMv6-M. */
static uint64_t
shr64(uint64_t x, unsigned n)
{
#ifdef FX_SOFT_ARITH
    uint32_t hi = (uint32_t)(x >> 32), lo = (uint32_t)x;
    if (n >= 32)
        return hi >> (n - 32);
    if (n == 0)
        return x;
    return ((uint64_t)(hi >> n) << 32) | (lo >> n) | (hi << (32 - n));
#else
    return x >> n;
#endif
}

/*
 * Restoring division of n by a d below 2^31: the remainder then fits 32 bits,
 * and n takes the quotient bits in as its own bits move out (after 64 steps n
 * is the quotient). On ARMv6-M a step is a 64-bit shift and 32-bit arithmetic,
 * about half the instructions of the general loop. An update's divisors are
 * this small: half-lives, intervals and the time observed (2^31 s is 68 years).
 */
static uint64_t
udiv_small(uint64_t n, uint32_t d)
{
    /* n in two 32-bit halves, so that a step is a few 32-bit shifts on ARMv6-M */
    /* (gcc keeps a uint64_t there in the stack frame). */
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, r = 0;
    int bits = 64;
    /*
     * The leading quotient bits are 0 while what has been brought down stays
     * below d: take eight of them per step (the remainder is then just those
     * bits of n). Weights divide 2^49 by 2^20 or so, a 29-bit quotient: this
     * halves the loop.
     */
    while (bits > 0 && (r >> 24) == 0 && ((r << 8) | (hi >> 24)) < d) {
        r = (r << 8) | (hi >> 24);
        hi = (hi << 8) | (lo >> 24);
        lo <<= 8;
        bits -= 8;
    }
    for (; bits > 0; bits--) {
        r = (r << 1) | (hi >> 31);
        hi = (hi << 1) | (lo >> 31);
        lo <<= 1;
        if (r >= d) {
            r -= d;
            lo |= 1u;
        }
    }
    return ((uint64_t)hi << 32) | lo;
}

uint64_t
fx_udiv_soft(uint64_t n, uint64_t d)
{
    if (d == 0)
        return UINT64_MAX;
    if ((d >> 31) == 0)
        return udiv_small(n, (uint32_t)d);
    /* Restoring division, one quotient bit per step: no __aeabi_uldivmod. Only */
    /* constant shifts, which ARMv6-M does inline (variable 64-bit shifts call */
    /* __aeabi_llsl at -Os). */
    uint64_t q = 0, r = 0;
    int i = 0;
    /* Leading zero quotient bits eight at a time, as in udiv_small. */
    while (i < 64 && (r >> 56) == 0 && ((r << 8) | (n >> 56)) < d) {
        r = (r << 8) | (n >> 56);
        n <<= 8;
        i += 8;
    }
    for (; i < 64; i++) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if (r >= d) {
            r -= d;
            q |= 1u;
        }
    }
    return q;
}

/*
 * floor(n / d) when it fits in 64 bits, else UINT64_MAX. d > 0.
 */
static uint64_t
udiv128(struct u128 n, uint64_t d)
{
    if (n.hi >= d)
        return UINT64_MAX;
    if (n.hi == 0)
        return fx_udiv(n.lo, d);
#ifdef FX_HAVE_INT128
    return (uint64_t)((((unsigned __int128)n.hi << 64) | n.lo) / d);
#else
    /* n.hi < d: the remainder starts as n.hi and the quotient fits 64 bits. */
    uint64_t r = n.hi, q = 0, lo = n.lo;
    for (int i = 0; i < 64; i++) {
        bool carry = (r >> 63) != 0;
        r = (r << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (carry || r >= d) {
            r -= d;
            q |= 1u;
        }
    }
    return q;
#endif
}

int64_t
fx_mul_q32_wide(int64_t x, uint64_t w_q32)
{
    struct u128 p = add128(mul64(fx_abs(x), w_q32), UINT64_C(1) << 31);
    if (p.hi >> 32)
        return x < 0 ? INT64_MIN : INT64_MAX;
    return fx_signed_sat((p.hi << 32) | (p.lo >> 32), x < 0);
}

int64_t
fx_mul(int64_t a, int64_t b)
{
    struct u128 p = mul64(fx_abs(a), fx_abs(b));
    bool neg = (a < 0) != (b < 0);
    if (p.hi != 0)
        return neg ? INT64_MIN : INT64_MAX;
    return fx_signed_sat(p.lo, neg);
}

int64_t
fx_muldiv_wide(int64_t a, int64_t b, int64_t c)
{
    if (c <= 0)
        return 0;
    struct u128 p = add128(mul64(fx_abs(a), fx_abs(b)), (uint64_t)c >> 1);
    return fx_signed_sat(udiv128(p, (uint64_t)c), (a < 0) != (b < 0));
}

uint64_t
fx_isqrt(uint64_t v)
{
#ifdef FX_SOFT_ARITH
    uint64_t r = 0, bit = UINT64_C(1) << 62;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
#else
    if (v < 2)
        return v;
    /* Start at a power of two above sqrt(v); Newton's step from above never */
    /* undershoots floor(sqrt(v)) and stops there (Heron's method on integers). */
    int bits = 64 - __builtin_clzll(v);
    uint64_t x = UINT64_C(1) << ((bits + 1) / 2);
    for (;;) {
        uint64_t y = (x + v / x) >> 1;
        if (y >= x)
            return x;
        x = y;
    }
#endif
}

/*
 * The body of fx_exp2_neg_q32, inline in the four weight functions below: an
 * update takes two or three weights, and the calls from alpha to decay to
 * 2^-x cost about a fifth of each.
 */
static inline uint64_t
exp2_neg(uint64_t x_q32)
{
    uint64_t n = x_q32 >> 32;
    if (n > 32)
        return 0;
    uint32_t f = (uint32_t)x_q32;
    uint32_t i = f >> 24, r = f & 0xFFFFFFu;
    /*
     * 2^-f = 2^(-i/256) * 2^-r with r < 2^-8: the table gives the first factor,
     * a short series the second, 1 - 2^-r = t - t^2/2 + t^3/6 with t = r ln 2
     * (next term < 2^-40). In terms of weights: alpha = A[i] + (1 - A[i]) * a_r.
     * The series runs in Q40, so the weight is right to half a unit of Q32 plus
     * the rounding of x: small weights (events seconds apart, half-lives of
     * weeks) keep their relative accuracy.
     */
    uint64_t t = (fx_mul_u32(r, LN2_Q32) + (1u << 23)) >> 24;          /* Q40, < 2^32 */
    uint64_t t2 = fx_mul_u32((uint32_t)t, (uint32_t)t);                /* Q80, < 2^63 */
    uint64_t t3 = fx_mul_u32((uint32_t)(t2 >> 40), (uint32_t)t) >> 40; /* Q40 */
    uint64_t ar = t - ((t2 + (UINT64_C(1) << 40)) >> 41) +
                  (fx_mul_u32((uint32_t)t3, 0x2AAAAAABu) >> 32); /* Q40, < 2^32 */
    uint64_t a = i == 0
                     ? (ar + (1u << 7)) >> 8
                     : alpha_tab[i] +
                           ((fx_mul_u32(UINT32_MAX - alpha_tab[i] + 1u, (uint32_t)ar) +
                             (UINT64_C(1) << 39)) >>
                            40);
    uint64_t d = MODELS_Q32_ONE - a;
    if (n == 0)
        return d;
    /* Rounded: (d / 2^(n-1) + 1) / 2. */
    return (shr64(d, (unsigned)n - 1) + 1) >> 1;
}

uint64_t
fx_exp2_neg_q32(uint64_t x_q32)
{
    return exp2_neg(x_q32);
}

/* 2^(-dt / half_life), dt in seconds; half_life_s > 0. */
static inline uint64_t
decay_s(int64_t dt_s, int64_t half_life_s)
{
    dt_s = fx_clamp(dt_s, 0, MODELS_DT_MAX_S);
    if (dt_s == 0)
        return MODELS_Q32_ONE;
    /* dt < 2^27, so dt << 32 < 2^59: x = dt / half_life in Q32.32 without overflow. */
    uint64_t x = fx_udiv(((uint64_t)dt_s << 32) + ((uint64_t)half_life_s >> 1),
                         (uint64_t)half_life_s);
    return exp2_neg(x);
}

/* The same with dt in Q48.16 seconds. */
static inline uint64_t
decay_q16(int64_t dt_q16, int64_t half_life_s)
{
    dt_q16 = fx_clamp(dt_q16, 0, MODELS_DT_MAX_S << 16);
    if (dt_q16 == 0)
        return MODELS_Q32_ONE;
    /* dt < 2^43 in Q16, so dt << 16 < 2^59. */
    uint64_t x = fx_udiv(((uint64_t)dt_q16 << 16) + ((uint64_t)half_life_s >> 1),
                         (uint64_t)half_life_s);
    return exp2_neg(x);
}

uint64_t
fx_decay_q32(int64_t dt_s, int64_t half_life_s)
{
    return half_life_s <= 0 ? 0 : decay_s(dt_s, half_life_s);
}

uint64_t
fx_decay_q16(int64_t dt_q16, int64_t half_life_s)
{
    return half_life_s <= 0 ? 0 : decay_q16(dt_q16, half_life_s);
}

uint64_t
fx_alpha_q16(int64_t dt_q16, int64_t half_life_s)
{
    return half_life_s <= 0 ? MODELS_Q32_ONE
                            : MODELS_Q32_ONE - decay_q16(dt_q16, half_life_s);
}

uint64_t
fx_alpha_q32(int64_t dt_s, int64_t half_life_s)
{
    return half_life_s <= 0 ? MODELS_Q32_ONE
                            : MODELS_Q32_ONE - decay_s(dt_s, half_life_s);
}
