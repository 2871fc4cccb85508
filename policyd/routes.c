/*
 * routes.c - named routes (route.NAME = RESULT) and checks of transport(5) results.
 *
 * The table is a sorted array searched by binary search: routes are defined once per
 * configuration load (a handful, rarely more than a few hundred) and looked up for
 * every override value on the request path, so lookups must be cheap and inserts may
 * be linear. Route names are case-sensitive; "DUNNO" in any case is reserved.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "routes.h"

struct routes_entry {
    char *name;
    size_t name_len;
    char *result;
    size_t result_len;
};

struct routes {
    struct routes_entry *v; /* sorted by (name bytes, length) */
    size_t n, cap;
};

/* Returns a new, empty table. */
struct routes *routes_new(void)
{
    return calloc(1, sizeof(struct routes));
}

/* Free the table, its names and results; accepts NULL. */
void routes_free(struct routes *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].result);
    }
    free(r->v);
    free(r);
}

/* Fill err with a quoted, escaped copy of s[0..len) after a prefix. */
static void routes_err_quoted(char *err, size_t errsize, const char *what, const char *s,
                              size_t len)
{
    char esc[128];

    if (err == NULL || errsize == 0)
        return;
    snprintf(err, errsize, "%s \"%s\"", what, log_escape(esc, sizeof(esc), s, len));
}

/* Fill err with a fixed reason. */
static void routes_err(char *err, size_t errsize, const char *reason)
{
    if (err != NULL && errsize > 0)
        snprintf(err, errsize, "%s", reason);
}

/* Check a route name: 1..ROUTES_NAME_MAX bytes of [A-Za-z0-9_-]. */
int routes_check_name(const char *name, size_t len, char *err, size_t errsize)
{
    size_t i;

    if (len == 0) {
        routes_err(err, errsize, "empty route name");
        return -1;
    }
    if (len > ROUTES_NAME_MAX) {
        if (err != NULL && errsize > 0)
            snprintf(err, errsize, "route name longer than %d bytes", ROUTES_NAME_MAX);
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-')) {
            routes_err_quoted(err, errsize, "route name may hold only A-Z a-z 0-9 _ -, not", name,
                              len);
            return -1;
        }
    }
    return 0;
}

/* Check a transport(5) result: a colon, bounded, no control bytes, no leading blank. */
int routes_check_result(const char *s, size_t len, char *err, size_t errsize)
{
    size_t i;

    if (len == 0) {
        routes_err(err, errsize, "empty result");
        return -1;
    }
    if (len > ROUTES_RESULT_MAX) {
        if (err != NULL && errsize > 0)
            snprintf(err, errsize, "result longer than %d bytes", ROUTES_RESULT_MAX);
        return -1;
    }
    if (s[0] == ' ') {
        routes_err(err, errsize, "result starts with white space");
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f) {
            routes_err(err, errsize, "result contains a control character");
            return -1;
        }
    }
    if (memchr(s, ':', len) == NULL) {
        routes_err_quoted(err, errsize, "result without a colon (transport:nexthop):", s, len);
        return -1;
    }
    return 0;
}

/* Order two names: bytes first, then the shorter one first. */
static int routes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Binary search: 1 and *pos = index when found, else 0 and *pos = insertion point. */
static int routes_find(const struct routes *r, const char *name, size_t len, size_t *pos)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = routes_cmp(name, len, r->v[mid].name, r->v[mid].name_len);

        if (c == 0) {
            *pos = mid;
            return 1;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *pos = lo;
    return 0;
}

/* Make room for one more entry. */
static int routes_grow(struct routes *r)
{
    struct routes_entry *v;
    size_t cap;

    if (r->n < r->cap)
        return 0;
    if (r->cap > SIZE_MAX / 2 / sizeof(*v))
        return -1;
    cap = r->cap ? r->cap * 2 : 8;
    v = realloc(r->v, cap * sizeof(*v));
    if (v == NULL)
        return -1;
    r->v = v;
    r->cap = cap;
    return 0;
}

/* Define route name = result (both copied), kept in sorted order. */
int routes_define(struct routes *r, const char *name, const char *result, char *err, size_t errsize)
{
    struct routes_entry e = {NULL, 0, NULL, 0};
    size_t pos;

    if (r == NULL || name == NULL || result == NULL) {
        routes_err(err, errsize, "no route table");
        return -1;
    }
    e.name_len = strlen(name);
    e.result_len = strlen(result);
    if (routes_check_name(name, e.name_len, err, errsize) < 0 ||
        routes_check_result(result, e.result_len, err, errsize) < 0)
        return -1;
    if (e.name_len == 5 && strncasecmp(name, "DUNNO", 5) == 0) {
        routes_err(err, errsize, "route name DUNNO is reserved");
        return -1;
    }
    if (routes_find(r, name, e.name_len, &pos)) {
        routes_err_quoted(err, errsize, "duplicate route", name, e.name_len);
        return -1;
    }
    if (routes_grow(r) < 0 || (e.name = strdup(name)) == NULL ||
        (e.result = strdup(result)) == NULL)
        goto fail;
    memmove(&r->v[pos + 1], &r->v[pos], (r->n - pos) * sizeof(r->v[0]));
    r->v[pos] = e;
    r->n++;
    return 0;
fail:
    free(e.name);
    free(e.result);
    routes_err(err, errsize, "out of memory");
    return -1;
}

/* Number of routes defined. */
size_t routes_count(const struct routes *r)
{
    return r ? r->n : 0;
}

/* Borrowed result of route name[0..len), or NULL. */
const char *routes_get(const struct routes *r, const char *name, size_t len)
{
    size_t pos;

    if (r == NULL || name == NULL || !routes_find(r, name, len, &pos))
        return NULL;
    return r->v[pos].result;
}

/* Resolve a ROUTE token: DUNNO (0), a literal result or a route name (1), or -1. */
int routes_resolve(const struct routes *r, const char *token, size_t len, const char **result,
                   size_t *result_len, char *err, size_t errsize)
{
    size_t pos;

    if (token == NULL || len == 0) {
        routes_err(err, errsize, "empty route");
        return -1;
    }
    if (len == 5 && strncasecmp(token, "DUNNO", 5) == 0)
        return 0;
    if (memchr(token, ':', len) != NULL) {
        if (routes_check_result(token, len, err, errsize) < 0)
            return -1;
        *result = token;
        *result_len = len;
        return 1;
    }
    if (r == NULL || !routes_find(r, token, len, &pos)) {
        routes_err_quoted(err, errsize, "unknown route", token, len);
        return -1;
    }
    *result = r->v[pos].result;
    *result_len = r->v[pos].result_len;
    return 1;
}
