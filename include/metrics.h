/* metrics.h - HTTP GET /metrics (Prometheus text format 0.0.4) and /healthz (SPEC section 9). */
#ifndef POLICYD_METRICS_H
#define POLICYD_METRICS_H

#include <stddef.h>

#include "cfg.h"

struct event_base;
struct metrics;
struct overrides;
struct redis_client;
struct server;

/*
 * Bind and listen on cfg->metrics_listen (as root, before dropping privileges).
 * *out is the new listener, or NULL when metrics_listen is not set. 0, or -1 with a
 * reason in err.
 */
int metrics_new(const struct cfg *cfg, struct metrics **out, char *err, size_t errsize);

/*
 * Serve HTTP on base from now on (after any fork). srv, the override view ov (Redis's,
 * or without Redis the routes learned in memory) and rc (NULL without Redis) are
 * borrowed and must outlive m. m NULL: nothing to do.
 * 0, or -1 (logged).
 */
int metrics_start(struct metrics *m, struct event_base *base, struct server *srv,
                  const struct overrides *ov, const struct redis_client *rc);

/* Close the listener and every HTTP connection; accepts NULL. Before event_base_free. */
void metrics_free(struct metrics *m);

#endif
