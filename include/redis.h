/* redis.h - the async Redis client that keeps the override view current (SPEC section 4). */
#ifndef POLICYD_REDIS_H
#define POLICYD_REDIS_H

#include <stdint.h>

#include "cfg.h"
#include "overrides.h"
#include "routes.h"

struct event_base;
struct redis_client;

/*
 * Start a client on base that fills `view` (borrowed; must outlive the client) from
 * the Redis server named by cfg->redis and keeps it current: full load (SCAN) after
 * every (re)connect, and client-side tracking (BCAST) invalidations, applied at once,
 * during a full load too. A full load writes into the view as it reads; keys no longer
 * in Redis are removed, and the view marked loaded, when it completes. On errors the
 * view is kept as it is while the client reconnects (at least once a second). cfg is
 * borrowed only during the call. Returns NULL when cfg->redis is NULL or malformed,
 * the password file cannot be read, or on allocation failure (logged).
 */
struct redis_client *redis_client_new(struct event_base *base, const struct cfg *cfg,
                                      struct overrides *view);

/*
 * Routes used to validate override values (borrowed until the next call or
 * redis_client_free; NULL: accept everything). Invalid values stay in the view (the
 * caller skips them with an overrides_lookup accept callback) and are logged once per
 * change; setting routes logs every value that is invalid under them.
 */
void redis_client_set_routes(struct redis_client *rc, const struct routes *routes);

/* 1 when the client is connected and the view is in sync with Redis ("Redis up"), else 0. */
int redis_client_synced(const struct redis_client *rc);

/*
 * How far the view may be behind Redis, in ms on the monotime_ms clock: 0 while in
 * sync, the time since sync was lost otherwise (an outage, a full re-load under way), -1
 * when the view was never loaded (or rc is NULL). The number of overrides in the view is
 * overrides_count(view).
 */
int64_t redis_client_view_age_ms(const struct redis_client *rc, uint64_t now_ms);

/* A learned override and what taught it (all borrowed during redis_client_learn). */
struct redis_learned {
    const char *pattern; /* "mx:.google.com" (no prefix) */
    size_t pattern_len;
    const char *route; /* the route NAME written as the value */
    unsigned ttl_s;    /* > 0 */
    const char *text;  /* the status text that taught it, as received */
    size_t text_len;
    const char *host; /* the MX host that refused */
    size_t host_len;
    const char *cls; /* the signature class */
    int64_t time;    /* Unix seconds */
};

/*
 * Write a learned override through the client's connection, without waiting:
 * `SET PREFIXroute:PATTERN ROUTE NX EX TTL`, and when that stored it,
 * `HSET PREFIXlearned:PATTERN text T host H class C time UNIX` and `EXPIRE` with the same
 * TTL. Only while the client is in sync (redis_client_synced): 0 when the commands are
 * queued, else -1 with the reason in err and nothing sent. A refusal by Redis (an existing
 * key, a read-only replica, a missing ACL grant) or a lost connection is logged (at most
 * one line a second) and the key is read again, so the view holds what Redis holds.
 * Once Redis refused a learned SET with an error, the client is "unconfirmed" until a
 * learned SET comes back stored (+OK, or nil: refused by NX only): the commands are still
 * queued, but 1 is returned with the reason in err, and the caller must not count on the
 * route (no deferral by it), so a message is never deferred again and again.
 */
int redis_client_learn(struct redis_client *rc, const struct redis_learned *l, char *err,
                       size_t errsize);

/* Disconnect and free; the view is left as it is. Accepts NULL. */
void redis_client_free(struct redis_client *rc);

/* A new string: the SCAN MATCH pattern of every override key ("PREFIX route:*", the
 * prefix's glob characters escaped), or NULL on allocation failure. */
char *redis_match_pattern(const char *prefix);

/* The same for the keys "PREFIX KIND..." (KIND e.g. "learned:"): a new string or NULL. */
char *redis_match_kind(const char *prefix, const char *kind);

/*
 * Parse a "tcp:HOST:PORT" / "unix:PATH" endpoint. On success *host is a new string
 * (the path for unix, with *port = 0); 0, or -1 with a reason in err.
 */
int redis_parse_endpoint(const char *ep, char **host, int *port, char *err, size_t errsize);

/*
 * Read the first line (without its newline) of a password file into a new string:
 * 0, or -1 with a reason in err.
 */
int redis_read_password(const char *path, char **password, char *err, size_t errsize);

/*
 * 1 when group or others may access the password file (a warning in warn, as ssh
 * gives for a private key), else 0 (also when it cannot be examined: reading says why).
 */
int redis_password_too_open(const char *path, char *warn, size_t warnsize);

#endif
