/* server.h - the runtime: listeners, allow list, limits, the current snapshot, connections. */
#ifndef POLICYD_SERVER_H
#define POLICYD_SERVER_H

#include <stddef.h>

#include <event2/event.h>

#include "overrides.h"
#include "snapshot.h"

struct server;
struct conn;

/*
 * Returns a new server holding snap (the reference is taken over on success; on
 * failure the caller keeps it); ov is borrowed (may be NULL).
 */
struct server *server_new(struct snapshot *snap, struct overrides *ov);
/* Close everything; accepts NULL. */
void server_free(struct server *srv);

/*
 * Create, bind and listen on every endpoint of the snapshot's configuration (runs
 * as root, before the privilege drop). 0, or -1 with a reason in err.
 */
int server_bind(struct server *srv, char *err, size_t errsize);

/* Start accepting on base (after any fork). 0 or -1. */
int server_start(struct server *srv, struct event_base *base);

/* Switch to a new snapshot (takes the reference); settings that need a restart are logged. */
void server_swap(struct server *srv, struct snapshot *snap);

/* Stop accepting, close idle connections, let busy ones send their answers; done() when all are
 * gone. */
void server_shutdown(struct server *srv, void (*done)(void *arg), void *arg);

/* For connections: the current snapshot and overrides (borrowed, valid during one callback). */
struct snapshot *server_snapshot(const struct server *srv);
const struct overrides *server_overrides(const struct server *srv);
/* A scratch buffer of at least size bytes, valid until the next call (loop thread only). */
char *server_scratch(struct server *srv, size_t size);
/* A connection tells the server it is gone (called from conn_free). */
void server_conn_gone(struct server *srv, struct conn *c);
/* (Re)arm a connection's read event with the idle timeout. */
void server_conn_arm(struct server *srv, struct event *ev);
/* The Redis key prefix in force since start ("" without Redis), for explanations. */
const char *server_redis_prefix(const struct server *srv);

#endif
