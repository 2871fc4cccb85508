/* notify.c - tell systemd (or a test) that we are ready and alive, over $NOTIFY_SOCKET. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "notify.h"

/* Send one datagram with state to $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 */
int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun;
    socklen_t sunlen;
    size_t plen;
    ssize_t n;
    int fd;

    if (path == NULL || *path == '\0')
        return 0;
    plen = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
        errno = EINVAL;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen);
    if (path[0] == '@')
        sun.sun_path[0] = '\0';
    sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, sunlen);
    close(fd);
    return n < 0 ? -1 : 1;
}

/*
 * The watchdog interval systemd asked for, in microseconds: $WATCHDOG_USEC when it is
 * a positive number and $WATCHDOG_PID is unset or ours, else 0 (off).
 */
static uint64_t notify_watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    unsigned long long v;
    char *end;

    if (usec == NULL || *usec < '0' || *usec > '9')
        return 0;
    errno = 0;
    v = strtoull(usec, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0)
        return 0;
    if (pid != NULL && *pid != '\0') {
        long p = strtol(pid, &end, 10);

        if (*end != '\0' || p != (long)getpid())
            return 0;
    }
    return v;
}

/* The watchdog timer fired: the loop is alive. */
static void notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    notify_send("WATCHDOG=1");
}

/* Send WATCHDOG=1 from base's loop at half of the interval systemd asked for. */
struct event *notify_watchdog_start(struct event_base *base)
{
    uint64_t usec = notify_watchdog_usec() / 2;
    struct timeval tv;
    struct event *ev;

    if (usec == 0)
        return NULL;
    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    ev = event_new(base, -1, EV_PERSIST, notify_watchdog_cb, NULL);
    if (ev == NULL || event_add(ev, &tv) < 0) {
        if (ev != NULL)
            event_free(ev);
        log_err("systemd watchdog: cannot start the timer");
        return NULL;
    }
    notify_send("WATCHDOG=1");
    log_info("systemd watchdog: WATCHDOG=1 every %llu ms", (unsigned long long)(usec / 1000));
    return ev;
}
