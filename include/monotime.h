/* monotime.h - the monotonic clock every module reads (expiry, timeouts, durations). */
#ifndef POLICYD_MONOTIME_H
#define POLICYD_MONOTIME_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC): never jumps with the wall clock. */
uint64_t monotime_ms(void);

#endif
