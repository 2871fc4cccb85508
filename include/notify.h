/* notify.h - the systemd readiness protocol (sd_notify), without libsystemd. */
#ifndef POLICYD_NOTIFY_H
#define POLICYD_NOTIFY_H

/*
 * Send state (e.g. "READY=1") to the socket named by $NOTIFY_SOCKET. Returns 1 when
 * sent, 0 when the variable is not set, -1 on error (errno set).
 */
int notify_send(const char *state);

#endif
