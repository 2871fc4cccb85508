/* notify.h - the systemd readiness and watchdog protocol (sd_notify), without libsystemd. */
#ifndef POLICYD_NOTIFY_H
#define POLICYD_NOTIFY_H

struct event;
struct event_base;

/*
 * Send state (e.g. "READY=1") to the socket named by $NOTIFY_SOCKET. Returns 1 when
 * sent, 0 when the variable is not set, -1 on error (errno set).
 */
int notify_send(const char *state);

/*
 * When systemd asks for a watchdog, send WATCHDOG=1 now and then from base's loop at
 * half the interval, so a blocked loop stops the pings. Returns the timer (the caller
 * frees it with event_free), or NULL when off or on error (logged).
 */
struct event *notify_watchdog_start(struct event_base *base);

#endif
