/*
 * monotime.c - the monotonic clock, in one neutral place: the overrides view (TTLs),
 * the Redis client (load times), the connections (decisions) and the reload
 * watchdog all read the same clock.
 */
#include "config.h"

#include <time.h>

#include "monotime.h"

/* Milliseconds on the monotonic clock. */
uint64_t monotime_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
