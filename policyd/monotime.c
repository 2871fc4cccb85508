/*
 * monotime.c - the monotonic clock, in one neutral place: the overrides view (TTLs),
 * the Redis client (load times), the connections (decisions), the lookup-duration
 * histogram (stats.c, in ns) and the reload watchdog all read the same clock.
 */
#include "config.h"

#include <time.h>

#include "monotime.h"

/* Nanoseconds on the monotonic clock. */
uint64_t monotime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds on the monotonic clock. */
uint64_t monotime_ms(void)
{
    return monotime_ns() / 1000000;
}
