/* conn.h - one client connection: protocol detection, framing, answers, limits. */
#ifndef POLICYD_CONN_H
#define POLICYD_CONN_H

#include <event2/event.h>

struct server;
struct conn;

/*
 * Take over the connected, non-blocking socket fd from peer (a printable name for
 * logs). Returns the new connection, or NULL (fd closed) on allocation failure.
 */
struct conn *conn_new(struct server *srv, struct event_base *base, int fd, const char *peer);

/* Close and free; accepts NULL. Tells the server. */
void conn_free(struct conn *c);

/* Shutting down: close now if idle, else once the pending answers are written. */
void conn_drain(struct conn *c);

/* Doubly linked list hooks for the server's list of connections. */
struct conn *conn_next(const struct conn *c);
void conn_link(struct conn *c, struct conn **head);
void conn_unlink(struct conn *c, struct conn **head);

#endif
