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

/* A duration in ms as a timeval. */
struct timeval monotime_tv(uint64_t ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return tv;
}

/* Milliseconds on the monotonic clock. */
uint64_t monotime_ms(void)
{
    return monotime_ns() / 1000000;
}
