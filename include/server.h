/* server.h - the runtime: listeners, allow list, limits, the current snapshot, connections. */
#ifndef POLICYD_SERVER_H
#define POLICYD_SERVER_H

#include <stddef.h>

#include <event2/event.h>

#include "overrides.h"
#include "snapshot.h"

struct dns;
struct redis_client;
struct server;
struct sockaddr;

/*
 * Returns a new server holding snap (the reference is taken over on success; on
 * failure the caller keeps it); ov is borrowed (may be NULL: no overrides, nothing is
 * learned). Without `redis`, ov is the daemon's own view: the dsn map learns into it and
 * the server expires it once a second.
 */
struct server *server_new(struct snapshot *snap, struct overrides *ov);
/* Close everything; accepts NULL. */
void server_free(struct server *srv);

/*
 * Create, bind and listen on every endpoint of the snapshot's configuration (runs
 * as root, before the privilege drop). 0, or -1 with a reason in err.
 */
int server_bind(struct server *srv, char *err, size_t errsize);

/* The Redis client learned routes are written through (borrowed; NULL: memory mode). */
void server_set_redis(struct server *srv, struct redis_client *rc);

/* Start accepting on base (after any fork). 0 or -1. */
int server_start(struct server *srv, struct event_base *base);

/* Switch to a new snapshot (takes the reference); settings that need a restart are logged. */
void server_swap(struct server *srv, struct snapshot *snap);

/* Stop accepting, close idle connections, let busy ones send their answers; done() when all are
 * gone. */
void server_shutdown(struct server *srv, void (*done)(void *arg), void *arg);

/* For metrics: the current snapshot (borrowed, valid during one callback). */
struct snapshot *server_snapshot(const struct server *srv);
/* For metrics: the MX resolver (borrowed; NULL before server_start). */
const struct dns *server_dns(const struct server *srv);
/* For metrics: client connections open now. */
unsigned server_connections(const struct server *srv);
/* Whether a TCP peer at sa (AF_INET or AF_INET6) is on the allow list, for other listeners. */
int server_peer_allowed(const struct server *srv, const struct sockaddr *sa);

#endif
