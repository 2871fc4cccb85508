/* routes.h - named routes (route.NAME = RESULT) and checks of transport(5) results. */
#ifndef POLICYD_ROUTES_H
#define POLICYD_ROUTES_H

#include <stddef.h>

/* Longest transport(5) result accepted, in bytes. */
#define ROUTES_RESULT_MAX 1000
/* Longest route name accepted, in bytes. */
#define ROUTES_NAME_MAX 64

struct routes;

/* Returns a new, empty table (NULL on allocation failure). */
struct routes *routes_new(void);
/* Accepts NULL. */
void routes_free(struct routes *r);

/*
 * Check that name is a valid route name: 1..ROUTES_NAME_MAX bytes of [A-Za-z0-9_-].
 * Returns 0, or -1 with a reason in err.
 */
int routes_check_name(const char *name, size_t len, char *err, size_t errsize);

/*
 * Check that s[0..len) is a usable transport(5) result: it contains a colon, is at
 * most ROUTES_RESULT_MAX bytes, has no control characters and does not start with
 * white space. Returns 0, or -1 with a reason in err.
 */
int routes_check_result(const char *s, size_t len, char *err, size_t errsize);

/* Define route `name` as `result` (both copied). -1 with err on a bad name/result or a duplicate. */
int routes_define(struct routes *r, const char *name, const char *result, char *err,
                  size_t errsize);

size_t routes_count(const struct routes *r);

/* The result of route `name`, or NULL. Borrowed: lives as long as r. */
const char *routes_get(const struct routes *r, const char *name, size_t len);

/*
 * Resolve a ROUTE token as written in a rule file or an override value:
 *  - "DUNNO" (any case): returns 0 ("stop, not found");
 *  - a token containing ':' is a literal result: checked, *result = token (borrowed
 *    from the caller), returns 1;
 *  - otherwise a route name: *result = its result (borrowed from r), returns 1;
 *  - unknown name or invalid literal: -1 with a reason in err.
 * r may be NULL (no routes defined).
 */
int routes_resolve(const struct routes *r, const char *token, size_t len, const char **result,
                   size_t *result_len, char *err, size_t errsize);

#endif
