/* learn.h - the dsn map (SPEC section 8): learn a route from a delivery status, and answer. */
#ifndef POLICYD_LEARN_H
#define POLICYD_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "overrides.h"
#include "redis.h"
#include "snapshot.h"

struct learn;

/*
 * A new learner writing into view (borrowed; must outlive it), through rc when Redis is
 * configured (borrowed, may be NULL: memory mode, the view is the only store). NULL on
 * allocation failure.
 */
struct learn *learn_new(struct overrides *view, struct redis_client *rc);
/* Accepts NULL. */
void learn_free(struct learn *l);
/* The Redis client to write through (borrowed; NULL: memory mode). */
void learn_set_redis(struct learn *l, struct redis_client *rc);

/*
 * The dsn map for key[0..klen) under snap (borrowed), at now_ms (monotime) and now_s
 * (Unix seconds): parse, match the signatures, learn the route when the class is
 * learned (written to Redis and the view, or to the view alone in memory mode), log it.
 * Returns 1 when *data[0..*len) replaces the status (borrowed until the next call), or
 * 0: the status stays as it is ("NOTFOUND "). Never waits, never fails the lookup.
 */
int learn_dsn(struct learn *l, const struct snapshot *snap, const char *key, size_t klen,
              uint64_t now_ms, int64_t now_s, const char **data, size_t *len);

/*
 * For explain: when dec was decided by an MX override this daemon learned (and it still
 * holds the learned route), "; learned from HOST[ADDR] (class C): TEXT" (escaped) into
 * buf[0..size), like snprintf; else 0 and nothing written.
 */
size_t learn_explain(const struct learn *l, const struct decision *dec, uint64_t now_ms, char *buf,
                     size_t size);

/* Forget what taught routes that expired by now_ms (a periodic tick). */
void learn_expire(struct learn *l, uint64_t now_ms);

/*
 * Whether the rejecting host NAME / ADDR is the nexthop of the transport(5) result
 * `result` ("smtp:[relay.example]:587"): NAME equals the nexthop host (no case, a
 * trailing dot ignored), or ADDR equals a nexthop written as an IP literal, or, for a
 * nexthop without brackets (Postfix looks up its MX hosts: "smtp:relay.isp.example"),
 * NAME has the nexthop's registrable domain ("mx1.relay.isp.example"). 1 or 0.
 */
int learn_is_nexthop(const char *result, const char *name, size_t name_len, const char *addr,
                     size_t addr_len);

#endif
