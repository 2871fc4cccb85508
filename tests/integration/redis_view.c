/*
 * redis_view.c - drive the Redis client without the daemon, for the integration tests.
 *
 *   redis_view -e ENDPOINT [-n DB] [-u USER] [-p PASSWORD_FILE] [-x PREFIX] [-t TIMEOUT_MS]
 *              [-r NAME=RESULT]... [-v]
 *
 * Runs redis_client on an event loop and answers one line per command on stdin:
 *   status          "loaded=0|1 synced=0|1 count=N"
 *   get PATTERN     "VALUE" or "VALUE ttl" (live entries only), else "none"
 *   lookup KEY      "PATTERN VALUE" of the override that applies (invalid routes skipped),
 *                   or "none"
 *   age             how far the view may be behind, in ms (redis_client_view_age_ms)
 *   lag             the largest lateness (ms) of a 50 ms timer since the last "lag"
 *   quit            free everything and exit 0
 * Log lines go to stderr.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "log.h"
#include "monotime.h"
#include "overrides.h"
#include "redis.h"
#include "routes.h"

#define VIEW_TICK_MS 50

static char view_default_prefix[] = "policyd:";

struct view_state {
    struct event_base *base;
    struct overrides *view;
    struct redis_client *rc;
    struct routes *routes;
    char line[4096];
    size_t len;
    uint64_t next_tick;
    uint64_t max_lag;
};

/* The periodic timer whose lateness shows whether anything blocks the loop. */
static void view_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct view_state *st = arg;
    uint64_t now = monotime_ms();

    if (st->next_tick != 0 && now > st->next_tick && now - st->next_tick > st->max_lag)
        st->max_lag = now - st->next_tick;
    st->next_tick = now + VIEW_TICK_MS;
}

/* overrides_lookup accept callback: the value resolves against the routes given. */
static int view_accept(const char *value, size_t len, void *arg)
{
    const struct routes *routes = arg;
    const char *res;
    size_t rlen;
    char err[256];

    return routes_resolve(routes, value, len, &res, &rlen, err, sizeof(err)) >= 0;
}

/* Answer "lookup KEY": lowercase, split at the last '@', ask the view. */
static void view_lookup(struct view_state *st, char *key)
{
    struct override_hit hit;
    struct addr a;
    char *at;
    size_t i;

    memset(&a, 0, sizeof(a));
    for (i = 0; key[i]; i++)
        key[i] = (char)tolower((unsigned char)key[i]);
    at = strrchr(key, '@');
    if (at != NULL) {
        a.address = key;
        a.address_len = strlen(key);
        a.local = key;
        a.local_len = (size_t)(at - key);
        a.domain = at + 1;
    } else {
        a.domain = key;
    }
    a.domain_len = strlen(a.domain);
    if (overrides_lookup(st->view, &a, monotime_ms(), st->routes ? view_accept : NULL,
                         st->routes, &hit) == 1)
        printf("%.*s %.*s\n", (int)hit.pattern_len, hit.pattern, (int)hit.value_len, hit.value);
    else
        printf("none\n");
}

/* Run one command line. Returns 1 to quit. */
static int view_command(struct view_state *st, char *cmd)
{
    if (strcmp(cmd, "status") == 0) {
        printf("loaded=%d synced=%d count=%zu\n", overrides_loaded(st->view),
               redis_client_synced(st->rc), overrides_count(st->view));
    } else if (strncmp(cmd, "get ", 4) == 0) {
        const char *v;
        size_t vlen;
        uint64_t at, now = monotime_ms();

        if (overrides_get(st->view, cmd + 4, strlen(cmd + 4), &v, &vlen, &at) &&
            (at == 0 || at > now)) {
            if (at == 0)
                printf("%.*s\n", (int)vlen, v);
            else
                printf("%.*s ttl\n", (int)vlen, v);
        } else {
            printf("none\n");
        }
    } else if (strncmp(cmd, "lookup ", 7) == 0) {
        view_lookup(st, cmd + 7);
    } else if (strcmp(cmd, "age") == 0) {
        printf("%lld\n", (long long)redis_client_view_age_ms(st->rc, monotime_ms()));
    } else if (strcmp(cmd, "lag") == 0) {
        printf("%llu\n", (unsigned long long)st->max_lag);
        st->max_lag = 0;
    } else if (strcmp(cmd, "quit") == 0) {
        return 1;
    } else {
        printf("error unknown command\n");
    }
    return 0;
}

/* stdin readable: run every complete line. */
static void view_on_stdin(evutil_socket_t fd, short what, void *arg)
{
    struct view_state *st = arg;
    ssize_t n = read(fd, st->line + st->len, sizeof(st->line) - 1 - st->len);
    char *nl;

    if (n <= 0) {
        event_base_loopbreak(st->base);
        return;
    }
    st->len += (size_t)n;
    while ((nl = memchr(st->line, '\n', st->len)) != NULL) {
        size_t used = (size_t)(nl - st->line) + 1;

        *nl = '\0';
        if (view_command(st, st->line)) {
            event_base_loopbreak(st->base);
            return;
        }
        fflush(stdout);
        memmove(st->line, st->line + used, st->len - used);
        st->len -= used;
    }
    if (st->len == sizeof(st->line) - 1)
        st->len = 0; /* an overlong line: drop it */
}

/* Add NAME=RESULT to the routes. */
static int view_add_route(struct view_state *st, char *def)
{
    char *eq = strchr(def, '=');
    char err[256];

    if (eq == NULL)
        return -1;
    *eq = '\0';
    if (st->routes == NULL && (st->routes = routes_new()) == NULL)
        return -1;
    if (routes_define(st->routes, def, eq + 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "redis_view: route %s: %s\n", def, err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct view_state st;
    struct cfg cfg;
    struct event *tick = NULL, *in = NULL;
    struct timeval tv = {0, VIEW_TICK_MS * 1000};
    int c, verbose = 0, rc = 1;

    memset(&st, 0, sizeof(st));
    memset(&cfg, 0, sizeof(cfg));
    cfg.redis_prefix = view_default_prefix;
    cfg.redis_timeout_ms = 500;
    while ((c = getopt(argc, argv, "e:n:u:p:x:t:r:v")) != -1) {
        switch (c) {
        case 'e':
            cfg.redis = optarg;
            break;
        case 'n':
            cfg.redis_db = atoi(optarg);
            break;
        case 'u':
            cfg.redis_username = optarg;
            break;
        case 'p':
            cfg.redis_password_file = optarg;
            break;
        case 'x':
            cfg.redis_prefix = optarg;
            break;
        case 't':
            cfg.redis_timeout_ms = (unsigned)atoi(optarg);
            break;
        case 'r':
            if (view_add_route(&st, optarg) < 0)
                goto done;
            break;
        case 'v':
            verbose++;
            break;
        default:
            fprintf(stderr, "usage: redis_view -e ENDPOINT [options]\n");
            goto done;
        }
    }
    log_open(LOG_TARGET_STDERR, 0);
    log_set_verbosity(verbose);
    st.base = event_base_new();
    st.view = overrides_new();
    if (st.base == NULL || st.view == NULL)
        goto done;
    st.rc = redis_client_new(st.base, &cfg, st.view);
    if (st.rc == NULL)
        goto done;
    redis_client_set_routes(st.rc, st.routes);
    tick = event_new(st.base, -1, EV_PERSIST, view_on_tick, &st);
    in = event_new(st.base, 0, EV_READ | EV_PERSIST, view_on_stdin, &st);
    if (tick == NULL || in == NULL)
        goto done;
    event_add(tick, &tv);
    event_add(in, NULL);
    event_base_dispatch(st.base);
    rc = 0;
done:
    if (tick != NULL)
        event_free(tick);
    if (in != NULL)
        event_free(in);
    redis_client_free(st.rc);
    overrides_free(st.view);
    routes_free(st.routes);
    if (st.base != NULL)
        event_base_free(st.base);
    return rc;
}
