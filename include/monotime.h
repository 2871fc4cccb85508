/* monotime.h - the monotonic clock every module reads (expiry, timeouts, durations). */
#ifndef POLICYD_MONOTIME_H
#define POLICYD_MONOTIME_H

#include <stdint.h>
#include <sys/time.h>

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC): never jumps with the wall clock. */
uint64_t monotime_ms(void);
/* Nanoseconds on the same clock (short durations: the lookup histogram). */
uint64_t monotime_ns(void);
/* A duration of ms milliseconds as a struct timeval (libevent's timers). */
struct timeval monotime_tv(uint64_t ms);

#endif
