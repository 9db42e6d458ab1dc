/* test_helpers.h: what several unit tests share: deterministic Gaussian
 * noise (xorshift64 + Box-Muller; seed it by setting rng_state) and a
 * floating-point comparison with tolerance; a monotonic clock. */
#ifndef EMGKIT_TEST_HELPERS_H
#define EMGKIT_TEST_HELPERS_H

#include <math.h>
#include <stdint.h>
#include <time.h>

static uint64_t rng_state = 88172645463325252ULL;

static inline double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static inline double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

#define assert_close(a, b, tol) \
    do { \
        double a_ = (a), b_ = (b); \
        if (!(fabs(a_ - b_) <= (tol))) \
            fail_msg("%s = %.17g, expected %.17g (tol %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

/* Seconds on a monotonic clock, for tests that bound the time of an operation. */
static inline double monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
