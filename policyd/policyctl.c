/* policyctl.c - the operator's tool: overrides in Redis, queries to the daemon, checks. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "arena.h"
#include "cfg.h"
#include "diag.h"
#include "endpoint.h"
#include "log.h"
#include "netstring.h"
#include "overrides.h"
#include "redis.h"
#include "routes.h"
#include "rules.h"
#include "snapshot.h"

#define POLICYCTL_DEFAULT_CONFIG SYSCONFDIR "/policyd/policyd.conf"
/* Exit codes (SPEC section 1). */
#define POLICYCTL_OK 0
#define POLICYCTL_NOTFOUND 1
#define POLICYCTL_ERROR 2
/* Socket timeout for queries to the daemon. */
#define POLICYCTL_QUERY_TIMEOUT_S 5
/* Largest socketmap reply (Postfix's limit) plus the netstring frame. */
#define POLICYCTL_REPLY_MAX (100000 + 16)
/* Room for a learned record's text escaped for the terminal (longer ones end in "..."). */
#define POLICYCTL_TEXT_ESC 8192
/* Largest HTTP answer read from metrics_listen. */
#define POLICYCTL_METRICS_MAX (4 * 1024 * 1024)

/* Print usage to f. */
static void policyctl_usage(FILE *f)
{
    fprintf(f,
            "usage: policyctl [-c FILE] COMMAND\n"
            "  override set PATTERN ROUTE [--ttl DURATION]\n"
            "  override get PATTERN\n"
            "  override del PATTERN\n"
            "  override list\n"
            "  learned\n"
            "  query ADDRESS...\n"
            "  stats\n"
            "  check\n"
            "  -c FILE  configuration file (default %s)\n",
            POLICYCTL_DEFAULT_CONFIG);
}

/* Load the configuration; problems are printed. NULL on failure. */
static struct cfg *policyctl_cfg(const char *path)
{
    struct diag *d = diag_new();
    struct cfg *c;

    if (d == NULL) {
        fprintf(stderr, "policyctl: out of memory\n");
        return NULL;
    }
    c = cfg_load(path, d);
    diag_print(d, stderr);
    diag_free(d);
    return c;
}

/* Print a Redis error reply or context error as "policyctl: what: reason". */
static void policyctl_redis_error(const char *what, const redisContext *rc, const redisReply *r)
{
    char esc[512];

    if (r != NULL && r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "policyctl: redis %s: %s\n", what,
                log_escape(esc, sizeof(esc), r->str, r->len));
    else if (rc != NULL && rc->err)
        fprintf(stderr, "policyctl: redis %s: %s\n", what, rc->errstr);
    else
        fprintf(stderr, "policyctl: redis %s: unexpected reply\n", what);
}

/* Run one command (argv form) and return its reply, or NULL after printing why. */
static redisReply *policyctl_cmd(redisContext *rc, const char *what, int argc, const char **argv,
                                 const size_t *lens)
{
    redisReply *r = redisCommandArgv(rc, argc, argv, lens);

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        policyctl_redis_error(what, rc, r);
        if (r != NULL)
            freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* Run a command made of NUL-terminated strings. */
static redisReply *policyctl_cmds(redisContext *rc, const char *what, int argc, const char **argv)
{
    size_t lens[8];
    int i;

    for (i = 0; i < argc && i < 8; i++)
        lens[i] = strlen(argv[i]);
    return policyctl_cmd(rc, what, argc, argv, lens);
}

/* Connect, AUTH and SELECT as the daemon would. NULL after printing why. */
static redisContext *policyctl_redis(const struct cfg *cfg)
{
    struct timeval tv = {cfg->redis_timeout_ms / 1000, (cfg->redis_timeout_ms % 1000) * 1000};
    redisContext *rc = NULL;
    redisReply *r;
    char err[512], db[16], *host = NULL, *password = NULL;
    const char *argv[3];
    int port;

    if (cfg->redis == NULL) {
        fprintf(stderr, "policyctl: %s: redis is not configured\n", cfg->path);
        return NULL;
    }
    if (redis_parse_endpoint(cfg->redis, &host, &port, err, sizeof(err)) < 0) {
        fprintf(stderr, "policyctl: redis %s: %s\n", cfg->redis, err);
        return NULL;
    }
    if (cfg->redis_password_file != NULL &&
        redis_read_password(cfg->redis_password_file, &password, err, sizeof(err)) < 0) {
        fprintf(stderr, "policyctl: redis_password_file %s\n", err);
        goto fail;
    }
    rc =
        port == 0 ? redisConnectUnixWithTimeout(host, tv) : redisConnectWithTimeout(host, port, tv);
    if (rc == NULL || rc->err) {
        fprintf(stderr, "policyctl: redis %s: cannot connect: %s\n", cfg->redis,
                rc ? rc->errstr : "out of memory");
        goto fail;
    }
    redisSetTimeout(rc, tv);
    if (password != NULL) {
        argv[0] = "AUTH";
        argv[1] = cfg->redis_username ? cfg->redis_username : password;
        argv[2] = password;
        r = policyctl_cmds(rc, "AUTH", cfg->redis_username ? 3 : 2, argv);
        if (r == NULL)
            goto fail;
        freeReplyObject(r);
    }
    snprintf(db, sizeof(db), "%d", cfg->redis_db);
    argv[0] = "SELECT";
    argv[1] = db;
    r = policyctl_cmds(rc, "SELECT", 2, argv);
    if (r == NULL)
        goto fail;
    freeReplyObject(r);
    free(host);
    if (password != NULL)
        memset(password, 0, strlen(password));
    free(password);
    return rc;

fail:
    if (rc != NULL)
        redisFree(rc);
    free(host);
    if (password != NULL)
        memset(password, 0, strlen(password));
    free(password);
    return NULL;
}

/* The key PREFIX KIND PATTERN (KIND "route:" or "learned:"): a new string, NULL without memory. */
static char *policyctl_key_kind(const struct cfg *cfg, const char *kind, const char *pattern,
                                size_t plen)
{
    size_t n = strlen(cfg->redis_prefix), k = strlen(kind);
    char *key = malloc(n + k + plen + 1);

    if (key == NULL)
        return NULL;
    memcpy(key, cfg->redis_prefix, n);
    memcpy(key + n, kind, k);
    memcpy(key + n + k, pattern, plen);
    key[n + k + plen] = '\0';
    return key;
}

/* Lowercase and validate PATTERN, then build the key PREFIXroute:PATTERN (new string). */
static char *policyctl_key(const struct cfg *cfg, char *pattern)
{
    char err[256], esc[300], *key;
    size_t i;

    for (i = 0; pattern[i]; i++)
        if (pattern[i] >= 'A' && pattern[i] <= 'Z')
            pattern[i] = (char)(pattern[i] - 'A' + 'a');
    if (overrides_check_pattern(pattern, i, err, sizeof(err)) < 0) {
        fprintf(stderr,
                "policyctl: pattern \"%s\": %s (expected example.com, .example.com, "
                "user@example.com, mx:HOST or mx:.SUFFIX)\n",
                log_escape(esc, sizeof(esc), pattern, i), err);
        return NULL;
    }
    if ((key = policyctl_key_kind(cfg, "route:", pattern, i)) == NULL)
        fprintf(stderr, "policyctl: out of memory\n");
    return key;
}

/* Seconds to print for a PTTL in ms (rounded up, so a live key never shows 0). */
static long long policyctl_ttl_s(long long pttl)
{
    return (pttl + 999) / 1000;
}

/*
 * Delete the record PREFIX learned:PATTERN (the override it described was replaced or
 * deleted): 0, or -1 after printing why.
 */
static int policyctl_forget(redisContext *rc, const struct cfg *cfg, const char *pattern)
{
    char *key = policyctl_key_kind(cfg, "learned:", pattern, strlen(pattern));
    const char *argv[2] = {"DEL", key};
    redisReply *r;

    if (key == NULL) {
        fprintf(stderr, "policyctl: out of memory\n");
        return -1;
    }
    r = policyctl_cmds(rc, "DEL", 2, argv);
    free(key);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* override set PATTERN ROUTE [--ttl DURATION]; a learned record for PATTERN goes. */

static int policyctl_set(const struct cfg *cfg, char *pattern, const char *route, const char *ttl)
{
    unsigned long long ms = 0;
    char err[256], esc[300], px[32], *key = NULL;
    const char *res, *argv[5];
    size_t rlen, lens[5];
    redisContext *rc = NULL;
    redisReply *r;
    int ret = POLICYCTL_ERROR;

    if (ttl != NULL && (cfg_parse_duration(ttl, &ms) < 0 || ms == 0)) {
        fprintf(stderr, "policyctl: --ttl \"%s\": expected a duration such as 90s, 30m, 2h, 1d\n",
                log_escape(esc, sizeof(esc), ttl, strlen(ttl)));
        return POLICYCTL_ERROR;
    }
    if ((key = policyctl_key(cfg, pattern)) == NULL)
        return POLICYCTL_NOTFOUND;
    if (routes_resolve(cfg->routes, route, strlen(route), &res, &rlen, err, sizeof(err)) < 0) {
        fprintf(stderr, "policyctl: route \"%s\" refused: %s\n",
                log_escape(esc, sizeof(esc), route, strlen(route)), err);
        ret = POLICYCTL_NOTFOUND;
        goto done;
    }
    if ((rc = policyctl_redis(cfg)) == NULL)
        goto done;
    argv[0] = "SET";
    argv[1] = key;
    argv[2] = route;
    argv[3] = "PX";
    snprintf(px, sizeof(px), "%llu", ms);
    argv[4] = px;
    lens[0] = 3;
    lens[1] = strlen(key);
    lens[2] = strlen(route);
    lens[3] = 2;
    lens[4] = strlen(px);
    r = policyctl_cmd(rc, "SET", ttl != NULL ? 5 : 3, argv, lens);
    if (r != NULL) {
        freeReplyObject(r);
        ret = policyctl_forget(rc, cfg, pattern) == 0 ? POLICYCTL_OK : POLICYCTL_ERROR;
    }
done:
    if (rc != NULL)
        redisFree(rc);
    free(key);
    return ret;
}

/* GET and PTTL of key in one round trip: 1 found, 0 not found, -1 error (printed). */
static int policyctl_fetch(redisContext *rc, const char *key, size_t klen, char **value,
                           long long *pttl)
{
    const char *argv[2] = {"GET", key};
    size_t lens[2] = {3, klen};
    redisReply *get = NULL, *ttl = NULL;
    int ret = -1;

    redisAppendCommandArgv(rc, 2, argv, lens);
    argv[0] = "PTTL";
    lens[0] = 4;
    redisAppendCommandArgv(rc, 2, argv, lens);
    if (redisGetReply(rc, (void **)&get) != REDIS_OK ||
        redisGetReply(rc, (void **)&ttl) != REDIS_OK) {
        policyctl_redis_error("GET", rc, NULL);
        goto done;
    }
    if (get->type == REDIS_REPLY_NIL ||
        (get->type == REDIS_REPLY_ERROR && strncmp(get->str, "WRONGTYPE", 9) == 0)) {
        ret = 0; /* absent, or not a string: not an override (policyd ignores it too) */
        goto done;
    }
    if (get->type != REDIS_REPLY_STRING || ttl->type != REDIS_REPLY_INTEGER) {
        policyctl_redis_error("GET", rc, get->type == REDIS_REPLY_ERROR ? get : ttl);
        goto done;
    }
    *value = malloc(get->len + 1);
    if (*value == NULL)
        goto done;
    memcpy(*value, get->str, get->len);
    (*value)[get->len] = '\0';
    *pttl = ttl->integer;
    ret = 1;
done:
    if (get != NULL)
        freeReplyObject(get);
    if (ttl != NULL)
        freeReplyObject(ttl);
    return ret;
}

/* Print one override line: "ROUTE" or "ROUTE ttl=SECONDS", escaped. */
static void policyctl_print_route(const char *value, long long pttl)
{
    char esc[4200];

    if (pttl >= 0)
        printf("%s ttl=%lld\n", log_escape(esc, sizeof(esc), value, strlen(value)),
               policyctl_ttl_s(pttl));
    else
        printf("%s\n", log_escape(esc, sizeof(esc), value, strlen(value)));
}

/* override get PATTERN */
static int policyctl_get(const struct cfg *cfg, char *pattern)
{
    redisContext *rc;
    char *key, *value = NULL;
    long long pttl = -1;
    int ret, found;

    if ((key = policyctl_key(cfg, pattern)) == NULL)
        return POLICYCTL_NOTFOUND;
    if ((rc = policyctl_redis(cfg)) == NULL) {
        free(key);
        return POLICYCTL_ERROR;
    }
    found = policyctl_fetch(rc, key, strlen(key), &value, &pttl);
    if (found == 1) {
        policyctl_print_route(value, pttl);
        ret = POLICYCTL_OK;
    } else if (found == 0) {
        fprintf(stderr, "policyctl: %s: no override\n", pattern);
        ret = POLICYCTL_NOTFOUND;
    } else {
        ret = POLICYCTL_ERROR;
    }
    free(value);
    free(key);
    redisFree(rc);
    return ret;
}

/* override del PATTERN, and its learned record */
static int policyctl_del(const struct cfg *cfg, char *pattern)
{
    redisContext *rc;
    redisReply *r;
    const char *argv[2];
    char *key;
    int ret = POLICYCTL_ERROR;

    if ((key = policyctl_key(cfg, pattern)) == NULL)
        return POLICYCTL_NOTFOUND;
    if ((rc = policyctl_redis(cfg)) == NULL) {
        free(key);
        return POLICYCTL_ERROR;
    }
    argv[0] = "DEL";
    argv[1] = key;
    r = policyctl_cmds(rc, "DEL", 2, argv);
    if (r != NULL && r->type == REDIS_REPLY_INTEGER && policyctl_forget(rc, cfg, pattern) == 0) {
        ret = r->integer > 0 ? POLICYCTL_OK : POLICYCTL_NOTFOUND;
        if (r->integer == 0)
            fprintf(stderr, "policyctl: %s: no override\n", pattern);
    }
    if (r != NULL)
        freeReplyObject(r);
    free(key);
    redisFree(rc);
    return ret;
}

/* The lines of a listing, sorted before they are printed. */
struct policyctl_lines {
    char **v;
    size_t n, cap;
};

/* The record of what taught a learned override (SPEC 8), borrowed from an HGETALL reply. */
struct policyctl_record {
    const redisReply *text, *host, *cls, *time;
};

/* Called by policyctl_scan per override found: pattern, value, PTTL (-1: none), record or NULL. */
typedef int (*policyctl_each_fn)(void *arg, const char *pattern, size_t plen,
                                 const redisReply *value, long long pttl, const redisReply *record);

/* Sort helper for list output. */
static int policyctl_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append line (a new string, owned from now on; NULL: out of memory): 0 or -1. */
static int policyctl_lines_push(struct policyctl_lines *l, char *line)
{
    if (line == NULL)
        return -1;
    if (arena_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)) < 0) {
        free(line);
        return -1;
    }
    l->v[l->n++] = line;
    return 0;
}

/* Print the lines sorted when print is set, then free them. */
static void policyctl_lines_done(struct policyctl_lines *l, int print)
{
    size_t i;

    if (print && l->n > 0)
        qsort(l->v, l->n, sizeof(*l->v), policyctl_cmp);
    for (i = 0; i < l->n; i++) {
        if (print)
            printf("%s\n", l->v[i]);
        free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* A reply string escaped for the terminal into buf; "?" when v is NULL. */
static const char *policyctl_esc(const redisReply *v, char *buf, size_t size)
{
    if (v == NULL)
        return "?";
    return log_escape(buf, size, v->str, v->len);
}

/* Is the hash field k named name? */
static int policyctl_field_is(const redisReply *k, const char *name)
{
    return k->type == REDIS_REPLY_STRING && k->len == strlen(name) &&
           memcmp(k->str, name, k->len) == 0;
}

/* Pick the fields out of an HGETALL reply: 1 when r is a non-empty hash, else 0. */
static int policyctl_record_parse(const redisReply *r, struct policyctl_record *rec)
{
    size_t i;

    memset(rec, 0, sizeof(*rec));
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return 0;
    for (i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];

        if (v->type != REDIS_REPLY_STRING)
            continue;
        if (policyctl_field_is(k, "text"))
            rec->text = v;
        else if (policyctl_field_is(k, "host"))
            rec->host = v;
        else if (policyctl_field_is(k, "class"))
            rec->cls = v;
        else if (policyctl_field_is(k, "time"))
            rec->time = v;
    }
    return 1;
}

/* The record's time (Unix seconds) as ISO 8601 UTC in buf; anything else escaped as it is. */
static const char *policyctl_record_time(const redisReply *v, char *buf, size_t size)
{
    char digits[24], *end;
    long long t;
    time_t tt;
    struct tm tm;

    if (v == NULL)
        return "?";
    if (v->len > 0 && v->len < sizeof(digits) && v->str[0] >= '0' && v->str[0] <= '9') {
        memcpy(digits, v->str, v->len);
        digits[v->len] = '\0';
        errno = 0;
        t = strtoll(digits, &end, 10);
        tt = (time_t)t;
        if (errno == 0 && *end == '\0' && gmtime_r(&tt, &tm) != NULL &&
            strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
            return buf;
    }
    return log_escape(buf, size, v->str, v->len);
}

/* Print "class=C host=H time=T text=TEXT" to f, escaped, "?" for a missing field. */
static void policyctl_record_print(FILE *f, const struct policyctl_record *rec)
{
    char cls[256], host[1100], when[64], text[POLICYCTL_TEXT_ESC];

    fprintf(f, "class=%s host=%s time=%s text=%s", policyctl_esc(rec->cls, cls, sizeof(cls)),
            policyctl_esc(rec->host, host, sizeof(host)),
            policyctl_record_time(rec->time, when, sizeof(when)),
            policyctl_esc(rec->text, text, sizeof(text)));
}

/* Print "PATTERN ROUTE" and " ttl=SECONDS" when temporary to f, escaped. */
static void policyctl_print_override(FILE *f, const char *pattern, size_t plen,
                                     const redisReply *value, long long pttl)
{
    char pesc[4200], vesc[4200];

    fprintf(f, "%s %s", log_escape(pesc, sizeof(pesc), pattern, plen),
            log_escape(vesc, sizeof(vesc), value->str, value->len));
    if (pttl >= 0)
        fprintf(f, " ttl=%lld", policyctl_ttl_s(pttl));
}

/* Does the SCAN answer k name a key PREFIX KIND PATTERN (PATTERN not empty)? */
static int policyctl_is_kind(const struct cfg *cfg, const redisReply *k, const char *kind)
{
    size_t plen = strlen(cfg->redis_prefix), klen = strlen(kind);

    return k->type == REDIS_REPLY_STRING && k->len > plen + klen &&
           memcmp(k->str, cfg->redis_prefix, plen) == 0 && memcmp(k->str + plen, kind, klen) == 0;
}

/* Queue "CMD PREFIX KIND PATTERN" on rc (sent with the next read): 0 or -1. */
static int policyctl_append(redisContext *rc, const struct cfg *cfg, const char *cmd,
                            const char *kind, const char *pattern, size_t plen)
{
    char *key = policyctl_key_kind(cfg, kind, pattern, plen);
    const char *argv[2] = {cmd, key};
    size_t lens[2] = {strlen(cmd), key ? strlen(key) : 0};
    int rc_ok;

    if (key == NULL)
        return -1;
    rc_ok = redisAppendCommandArgv(rc, 2, argv, lens);
    free(key);
    return rc_ok == REDIS_OK ? 0 : -1;
}

/* Is r an error other than WRONGTYPE (a key of another type is simply not ours)? */
static int policyctl_failed(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) != 0;
}

/*
 * For the keys of one SCAN answer that are PREFIX KIND PATTERN: GET and PTTL of PREFIX
 * route:PATTERN and HGETALL of PREFIX learned:PATTERN, all pipelined (one round trip for
 * the whole batch, not one per key), then each() per override found. 0, or -1 (printed).
 * Listing overrides (KIND "route:"), a refused HGETALL (a Redis user without +hgetall)
 * only loses the records: one warning on stderr (*warned set), the list goes on.
 */
static int policyctl_batch(redisContext *rc, const struct cfg *cfg, const redisReply *keys,
                           const char *kind, policyctl_each_fn each, void *arg, int *warned)
{
    size_t skip = strlen(cfg->redis_prefix) + strlen(kind), i, j;
    redisReply *r[3] = {NULL, NULL, NULL};
    char errbuf[256];

    for (i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];

        if (!policyctl_is_kind(cfg, k, kind))
            continue;
        if (policyctl_append(rc, cfg, "GET", "route:", k->str + skip, k->len - skip) < 0 ||
            policyctl_append(rc, cfg, "PTTL", "route:", k->str + skip, k->len - skip) < 0 ||
            policyctl_append(rc, cfg, "HGETALL", "learned:", k->str + skip, k->len - skip) < 0) {
            fprintf(stderr, "policyctl: out of memory\n");
            return -1;
        }
    }
    for (i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];

        if (!policyctl_is_kind(cfg, k, kind))
            continue;
        for (j = 0; j < 3; j++) {
            if (redisGetReply(rc, (void **)&r[j]) != REDIS_OK) {
                policyctl_redis_error("GET", rc, NULL);
                goto fail;
            }
            if (j == 2 && policyctl_failed(r[j]) && strcmp(kind, "route:") == 0) {
                if (!*warned)
                    fprintf(stderr,
                            "policyctl: warning: HGETALL refused (%s): listed without what "
                            "taught the learned overrides\n",
                            policyctl_esc(r[j], errbuf, sizeof(errbuf)));
                *warned = 1;
                freeReplyObject(r[j]);
                r[j] = NULL;
                continue;
            }
            if (policyctl_failed(r[j])) {
                policyctl_redis_error(j == 0 ? "GET" : j == 1 ? "PTTL" : "HGETALL", rc, r[j]);
                goto fail;
            }
        }
        if (r[0]->type == REDIS_REPLY_STRING &&
            each(arg, k->str + skip, k->len - skip, r[0],
                 r[1]->type == REDIS_REPLY_INTEGER ? r[1]->integer : -1,
                 r[2] != NULL && r[2]->type == REDIS_REPLY_ARRAY && r[2]->elements > 0 ? r[2]
                                                                                       : NULL) < 0) {
            fprintf(stderr, "policyctl: out of memory\n");
            goto fail;
        }
        for (j = 0; j < 3; j++) {
            freeReplyObject(r[j]);
            r[j] = NULL;
        }
    }
    return 0;
fail:
    for (j = 0; j < 3; j++)
        if (r[j] != NULL)
            freeReplyObject(r[j]);
    return -1;
}

/* SCAN every key PREFIX KIND* and run policyctl_batch on each answer: 0 or -1 (printed). */
static int policyctl_scan(redisContext *rc, const struct cfg *cfg, const char *kind,
                          policyctl_each_fn each, void *arg)
{
    char cursor[32] = "0", *match = redis_match_kind(cfg->redis_prefix, kind);
    int ret = -1, warned = 0;

    if (match == NULL) {
        fprintf(stderr, "policyctl: out of memory\n");
        return -1;
    }
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", "1000"};
        redisReply *r = policyctl_cmds(rc, "SCAN", 6, argv);

        if (r == NULL)
            goto done;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            policyctl_redis_error("SCAN", rc, NULL);
            freeReplyObject(r);
            goto done;
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len);
        cursor[r->element[0]->len] = '\0';
        if (policyctl_batch(rc, cfg, r->element[1], kind, each, arg, &warned) < 0) {
            freeReplyObject(r);
            goto done;
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    ret = 0;
done:
    free(match);
    return ret;
}

/* One "PATTERN ROUTE [ttl=SECONDS] [learned: TEXT]" line of override list. */
static int policyctl_list_line(void *arg, const char *pattern, size_t plen, const redisReply *value,
                               long long pttl, const redisReply *record)
{
    char *line = NULL, text[POLICYCTL_TEXT_ESC];
    struct policyctl_record rec;
    size_t size;
    FILE *f = open_memstream(&line, &size);

    if (f == NULL)
        return -1;
    policyctl_print_override(f, pattern, plen, value, pttl);
    if (policyctl_record_parse(record, &rec))
        fprintf(f, " learned: %s", policyctl_esc(rec.text, text, sizeof(text)));
    if (fclose(f) != 0) {
        free(line);
        return -1;
    }
    return policyctl_lines_push(arg, line);
}

/* One "PATTERN ROUTE [ttl=SECONDS] class=C host=H time=T text=TEXT" line of learned. */
static int policyctl_learned_line(void *arg, const char *pattern, size_t plen,
                                  const redisReply *value, long long pttl, const redisReply *record)
{
    struct policyctl_record rec;
    char *line = NULL;
    size_t size;
    FILE *f;

    if (!policyctl_record_parse(record, &rec))
        return 0; /* the override is there, its record is gone: not a learned one any more */
    if ((f = open_memstream(&line, &size)) == NULL)
        return -1;
    policyctl_print_override(f, pattern, plen, value, pttl);
    fputc(' ', f);
    policyctl_record_print(f, &rec);
    if (fclose(f) != 0) {
        free(line);
        return -1;
    }
    return policyctl_lines_push(arg, line);
}

/* override list and learned: every override found by SCAN of KIND, one sorted line each. */
static int policyctl_list(const struct cfg *cfg, const char *kind, policyctl_each_fn each)
{
    struct policyctl_lines lines = {NULL, 0, 0};
    redisContext *rc;
    int ok;

    if ((rc = policyctl_redis(cfg)) == NULL)
        return POLICYCTL_ERROR;
    ok = policyctl_scan(rc, cfg, kind, each, &lines) == 0;
    policyctl_lines_done(&lines, ok);
    redisFree(rc);
    return ok ? POLICYCTL_OK : POLICYCTL_ERROR;
}

/* Connect to an inet or unix endpoint of the daemon: a socket, or -1 after printing why. */
static int policyctl_connect(const char *ep)
{
    struct timeval tv = {POLICYCTL_QUERY_TIMEOUT_S, 0};
    struct addrinfo hints, *res = NULL, *ai;
    struct endpoint e;
    char err[256], port[8];
    const char *host;
    int fd = -1, rc;

    if (endpoint_parse(ep, "inet", &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "policyctl: %s: %s\n", ep, err);
        return -1;
    }
    if (e.is_unix) {
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, e.path, strlen(e.path) + 1); /* ENDPOINT_PATH_MAX fits */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
            goto fail;
        goto connected;
    }
    /* a wildcard listener is reached on loopback */
    host = strcmp(e.host, "0.0.0.0") == 0 ? "127.0.0.1"
           : strcmp(e.host, "::") == 0    ? "::1"
                                          : e.host;
    snprintf(port, sizeof(port), "%u", e.port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        fprintf(stderr, "policyctl: %s: %s\n", ep, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        goto fail;
connected:
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
fail:
    fprintf(stderr, "policyctl: cannot connect to the daemon at %s: %s\n", ep, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Connect to the first endpoint of `listen`: a socket, or -1 after printing why. */
static int policyctl_daemon(const struct cfg *cfg)
{
    if (cfg->nlisten == 0) {
        fprintf(stderr, "policyctl: %s: no listen endpoint\n", cfg->path);
        return -1;
    }
    return policyctl_connect(cfg->listen[0]);
}

/* Write all of buf: 0 or -1. */
static int policyctl_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Send one explain request, read its netstring reply into *payload (inside buf). 0 or -1. */
static int policyctl_explain(int fd, const char *address, char *buf, size_t bufsize,
                             const char **payload, size_t *plen)
{
    size_t alen = strlen(address), have = 0, used, need;
    const char *why;
    char *req;
    int st;

    if (alen > bufsize - 16)
        return -1;
    req = malloc(alen + 8);
    if (req == NULL)
        return -1;
    memcpy(req, "explain ", 8);
    memcpy(req + 8, address, alen);
    need = netstring_encode(buf, bufsize, req, alen + 8);
    free(req);
    if (need > bufsize || policyctl_write_all(fd, buf, need) < 0)
        return -1;
    for (;;) {
        ssize_t n;

        st = netstring_decode(buf, have, bufsize, payload, plen, &used, &why);
        if (st == NETSTRING_COMPLETE)
            return 0;
        if (st == NETSTRING_ERROR || have == bufsize)
            return -1;
        n = read(fd, buf + have, bufsize - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
}

/*
 * The length of the PATTERN of the override key that the explain answer p[0..len) names
 * ("(override PREFIXroute:PATTERN, ..."), *pattern pointing at it; 0 when it names none.
 */
static size_t policyctl_explain_pattern(const struct cfg *cfg, const char *p, size_t len,
                                        const char **pattern)
{
    size_t plen = strlen(cfg->redis_prefix), n;
    const char *at = p, *end = p + len;

    while ((at = memmem(at, (size_t)(end - at), "(override ", 10)) != NULL) {
        at += 10;
        if ((size_t)(end - at) > plen + 6 && memcmp(at, cfg->redis_prefix, plen) == 0 &&
            memcmp(at + plen, "route:", 6) == 0) {
            *pattern = at + plen + 6;
            for (n = 0; *pattern + n < end && strchr(", )", (*pattern)[n]) == NULL; n++)
                ;
            return n;
        }
    }
    return 0;
}

/*
 * The learned record of the override an explain answer names: a new HGETALL reply, or NULL
 * when there is none, or when the daemon's answer already says what taught the route (it
 * does for the routes it learned itself). Redis is connected on first use (*rc); when it
 * cannot be reached that is said once (*tried) and the answers are printed without records.
 */
static redisReply *policyctl_query_record(const struct cfg *cfg, redisContext **rc, int *tried,
                                          const char *p, size_t len)
{
    const char *pattern;
    size_t plen = policyctl_explain_pattern(cfg, p, len, &pattern);
    redisReply *r = NULL;

    if (plen == 0 || cfg->redis == NULL || memmem(p, len, "; learned from ", 15) != NULL)
        return NULL;
    if (*rc == NULL && !*tried) {
        *tried = 1;
        *rc = policyctl_redis(cfg);
    }
    if (*rc == NULL || policyctl_append(*rc, cfg, "HGETALL", "learned:", pattern, plen) < 0 ||
        redisGetReply(*rc, (void **)&r) != REDIS_OK) {
        if (*rc != NULL) {
            policyctl_redis_error("HGETALL", *rc, NULL);
            redisFree(*rc);
            *rc = NULL;
        }
        return NULL;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        if (policyctl_failed(r))
            policyctl_redis_error("HGETALL", *rc, r);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/*
 * query ADDRESS...: print "ADDRESS: answer" per address from the daemon's explain map,
 * followed by " learned: class=... text=..." when the override it names was learned.
 */
static int policyctl_query(const struct cfg *cfg, int argc, char **argv)
{
    char *buf = malloc(POLICYCTL_REPLY_MAX), aesc[1100], resc[1100];
    struct policyctl_record rec;
    redisContext *rc = NULL;
    redisReply *learned;
    int fd, i, ret = POLICYCTL_OK, tried = 0;

    if (buf == NULL)
        return POLICYCTL_ERROR;
    if ((fd = policyctl_daemon(cfg)) < 0) {
        free(buf);
        return POLICYCTL_ERROR;
    }
    for (i = 0; i < argc; i++) {
        const char *p;
        size_t plen;

        log_escape(aesc, sizeof(aesc), argv[i], strlen(argv[i]));
        if (policyctl_explain(fd, argv[i], buf, POLICYCTL_REPLY_MAX, &p, &plen) < 0) {
            fprintf(stderr, "policyctl: %s: no answer from the daemon\n", aesc);
            ret = POLICYCTL_ERROR;
            break;
        }
        if (plen >= 3 && memcmp(p, "OK ", 3) == 0) {
            printf("%s: %s", aesc, log_escape(resc, sizeof(resc), p + 3, plen - 3));
            learned = policyctl_query_record(cfg, &rc, &tried, p, plen);
            if (policyctl_record_parse(learned, &rec)) {
                printf(" learned: ");
                policyctl_record_print(stdout, &rec);
                freeReplyObject(learned);
            }
            printf("\n");
        } else {
            printf("%s: %s\n", aesc, log_escape(resc, sizeof(resc), p, plen));
            ret = POLICYCTL_NOTFOUND;
        }
    }
    close(fd);
    free(buf);
    if (rc != NULL)
        redisFree(rc);
    return ret;
}

/* One sample of the daemon's exposition: pointers into the response body. */
struct policyctl_sample {
    const char *name;
    const char *labels; /* between the braces, "" without */
    double value;
};

/* A parsed scrape of /metrics. */
struct policyctl_scrape {
    char *body;
    struct policyctl_sample *s;
    size_t n;
};

/*
 * GET path from the daemon's metrics_listen (HTTP/1.0: the daemon closes after the
 * answer). *status is the HTTP status, *body a new NUL-terminated string. 0, or -1
 * after printing why.
 */
static int policyctl_http_get(const struct cfg *cfg, const char *path, int *status, char **body)
{
    const char *why = "out of memory";
    char req[128], *buf = NULL, *p;
    size_t have = 0, cap = 65536;
    ssize_t got;
    int fd, n;

    if (cfg->metrics_listen == NULL) {
        fprintf(stderr, "policyctl: %s: metrics_listen is not set\n", cfg->path);
        return -1;
    }
    if ((fd = policyctl_connect(cfg->metrics_listen)) < 0)
        return -1;
    n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: policyd\r\n\r\n", path);
    if ((buf = malloc(cap + 1)) == NULL)
        goto fail;
    if (policyctl_write_all(fd, req, (size_t)n) < 0) {
        why = strerror(errno);
        goto fail;
    }
    for (;;) {
        if (have == cap) {
            why = "answer too long";
            if (cap >= POLICYCTL_METRICS_MAX || (p = realloc(buf, cap * 2 + 1)) == NULL)
                goto fail;
            buf = p;
            cap *= 2;
        }
        got = read(fd, buf + have, cap - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            why = strerror(errno);
            goto fail;
        }
        if (got == 0)
            break;
        have += (size_t)got;
    }
    buf[have] = '\0';
    close(fd);
    if (sscanf(buf, "HTTP/1.%*d %d", status) != 1 || (p = strstr(buf, "\r\n\r\n")) == NULL) {
        fprintf(stderr, "policyctl: %s: not an HTTP answer\n", cfg->metrics_listen);
        free(buf);
        return -1;
    }
    memmove(buf, p + 4, have - (size_t)(p + 4 - buf) + 1);
    *body = buf;
    return 0;
fail:
    fprintf(stderr, "policyctl: %s: no answer: %s\n", cfg->metrics_listen, why);
    free(buf);
    close(fd);
    return -1;
}

/* Split the text exposition in body into samples (body is cut in place). 0 or -1. */
static int policyctl_parse_scrape(char *body, struct policyctl_scrape *sc)
{
    char *line, *next, *sp, *brace;
    size_t cap = 0;

    sc->body = body;
    for (line = body; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (line[0] == '#' || (sp = strrchr(line, ' ')) == NULL)
            continue;
        *sp = '\0';
        if (sc->n == cap) {
            struct policyctl_sample *s = realloc(sc->s, (cap ? cap * 2 : 64) * sizeof(*s));

            if (s == NULL)
                return -1;
            sc->s = s;
            cap = cap ? cap * 2 : 64;
        }
        sc->s[sc->n].name = line;
        sc->s[sc->n].labels = "";
        if ((brace = strchr(line, '{')) != NULL && sp > brace && sp[-1] == '}') {
            *brace = '\0';
            sp[-1] = '\0';
            sc->s[sc->n].labels = brace + 1;
        }
        sc->s[sc->n].value = strtod(sp + 1, NULL); /* "+Inf" too */
        sc->n++;
    }
    return 0;
}

/* The value of label key in labels ("a=\"x\",b=\"y\"") into buf; "" when absent. */
static const char *policyctl_label(const char *labels, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key), n;
    const char *p = labels, *end;

    buf[0] = '\0';
    while ((p = strstr(p, key)) != NULL) {
        if ((p == labels || p[-1] == ',') && strncmp(p + klen, "=\"", 2) == 0) {
            p += klen + 2;
            end = strchr(p, '"');
            n = end ? (size_t)(end - p) : strlen(p);
            log_escape(buf, size, p, n);
            break;
        }
        p += klen;
    }
    return buf;
}

/* The sum of the samples of name whose label key is value (key NULL: all); -1: none. */
static double policyctl_sum(const struct policyctl_scrape *sc, const char *name, const char *key,
                            const char *value)
{
    double sum = -1;
    char buf[64];
    size_t i;

    for (i = 0; i < sc->n; i++) {
        if (strcmp(sc->s[i].name, name) != 0 ||
            (key && strcmp(policyctl_label(sc->s[i].labels, key, buf, sizeof(buf)), value) != 0))
            continue;
        sum = (sum < 0 ? 0 : sum) + sc->s[i].value;
    }
    return sum;
}

/*
 * Print "VALUE N, VALUE N" for the samples of name by label key, in the daemon's
 * order, zeros left out (filter: only samples whose label fkey is fvalue).
 */
static void policyctl_print_by(const struct policyctl_scrape *sc, const char *name, const char *key,
                               const char *fkey, const char *fvalue)
{
    char buf[64], fbuf[64];
    const char *sep = "";
    size_t i;

    for (i = 0; i < sc->n; i++) {
        if (strcmp(sc->s[i].name, name) != 0 || sc->s[i].value == 0 ||
            (fkey && strcmp(policyctl_label(sc->s[i].labels, fkey, fbuf, sizeof(fbuf)), fvalue)))
            continue;
        printf("%s%s %.0f", sep, policyctl_label(sc->s[i].labels, key, buf, sizeof(buf)),
               sc->s[i].value);
        sep = ", ";
    }
}

/* The upper bound of the bucket that holds quantile q of the duration histogram, in s. */
static double policyctl_quantile(const struct policyctl_scrape *sc, double count, double q)
{
    const char *name = "policyd_lookup_duration_seconds_bucket";
    char buf[64];
    size_t i;

    for (i = 0; i < sc->n; i++)
        if (strcmp(sc->s[i].name, name) == 0 && sc->s[i].value >= q * count)
            return strtod(policyctl_label(sc->s[i].labels, "le", buf, sizeof(buf)), NULL);
    return -1;
}

/* Print a duration in s as "N us" or "N ms". */
static void policyctl_print_duration(double s)
{
    if (isinf(s))
        printf("over 1 s");
    else if (s < 0.001)
        printf("%.0f us", s * 1e6);
    else
        printf("%.3g ms", s * 1e3);
}

/* The lookups, decisions and duration lines. */
static void policyctl_stats_lookups(const struct policyctl_scrape *sc)
{
    static const char *const maps[] = {"transport", "explain", "policy", "dsn"};
    double count = policyctl_sum(sc, "policyd_lookup_duration_seconds_count", NULL, NULL);
    double sum = policyctl_sum(sc, "policyd_lookup_duration_seconds_sum", NULL, NULL);
    size_t i;

    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        printf("%-12s %s %.0f", i == 0 ? "lookups" : "", maps[i],
               policyctl_sum(sc, "policyd_lookups_total", "map", maps[i]));
        if (policyctl_sum(sc, "policyd_lookups_total", "map", maps[i]) > 0) {
            printf(": ");
            policyctl_print_by(sc, "policyd_lookups_total", "result", "map", maps[i]);
        }
        printf("\n");
    }
    printf("%-12s ", "learned");
    policyctl_print_by(sc, "policyd_learned_total", "class", NULL, NULL);
    if (policyctl_sum(sc, "policyd_learned_total", NULL, NULL) <= 0)
        printf("none");
    printf("\n%-12s ", "decided by");
    policyctl_print_by(sc, "policyd_decisions_total", "source", NULL, NULL);
    printf("\n%-12s ", "duration");
    if (count > 0) {
        printf("mean ");
        policyctl_print_duration(sum / count);
        printf(", 50%% under ");
        policyctl_print_duration(policyctl_quantile(sc, count, 0.5));
        printf(", 99%% under ");
        policyctl_print_duration(policyctl_quantile(sc, count, 0.99));
    } else {
        printf("no lookups yet");
    }
    printf("\n");
}

/* The connections, rules, reloads and Redis lines. */
static void policyctl_stats_state(const struct policyctl_scrape *sc)
{
    double at = policyctl_sum(sc, "policyd_last_reload_success_timestamp_seconds", NULL, NULL);
    double age = policyctl_sum(sc, "policyd_redis_view_age_seconds", NULL, NULL);
    time_t t = (time_t)at;
    char when[64] = "?";
    struct tm tm;

    printf("%-12s %.0f open, %.0f accepted, refused: ", "connections",
           policyctl_sum(sc, "policyd_connections", NULL, NULL),
           policyctl_sum(sc, "policyd_connections_total", NULL, NULL));
    policyctl_print_by(sc, "policyd_connections_refused_total", "reason", NULL, NULL);
    if (policyctl_sum(sc, "policyd_connections_refused_total", NULL, NULL) == 0)
        printf("none");
    printf("\n%-12s %.0f rules from %.0f files, %.0f routes\n", "rules",
           policyctl_sum(sc, "policyd_rules", NULL, NULL),
           policyctl_sum(sc, "policyd_rule_files", NULL, NULL),
           policyctl_sum(sc, "policyd_routes", NULL, NULL));
    if (at > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%-12s %.0f ok, %.0f failed; running rules loaded %s\n", "reloads",
           policyctl_sum(sc, "policyd_reloads_total", "result", "ok"),
           policyctl_sum(sc, "policyd_reloads_total", "result", "failed"), when);
    if (policyctl_sum(sc, "policyd_redis_up", NULL, NULL) < 0) {
        printf("%-12s not configured\n", "redis");
        return;
    }
    printf("%-12s %s, %.0f overrides, ", "redis",
           policyctl_sum(sc, "policyd_redis_up", NULL, NULL) > 0 ? "up" : "down",
           policyctl_sum(sc, "policyd_overrides", NULL, NULL));
    if (isinf(age))
        printf("view never loaded\n");
    else if (age <= 0)
        printf("view in sync\n");
    else
        printf("view %.0f s behind\n", age);
}

/* stats: the daemon's counters from its /metrics, and /healthz, for a terminal. */
static int policyctl_stats(const struct cfg *cfg)
{
    struct policyctl_scrape sc;
    char *health = NULL, esc[256];
    int status, hstatus;

    memset(&sc, 0, sizeof(sc));
    if (policyctl_http_get(cfg, "/metrics", &status, &sc.body) < 0)
        return POLICYCTL_ERROR;
    if (status != 200 || policyctl_http_get(cfg, "/healthz", &hstatus, &health) < 0) {
        if (status != 200)
            fprintf(stderr, "policyctl: %s: /metrics answered HTTP %d\n", cfg->metrics_listen,
                    status);
        free(sc.body);
        return POLICYCTL_ERROR;
    }
    if (policyctl_parse_scrape(sc.body, &sc) < 0) {
        fprintf(stderr, "policyctl: out of memory\n");
        free(sc.s);
        free(sc.body);
        free(health);
        return POLICYCTL_ERROR;
    }
    health[strcspn(health, "\r\n")] = '\0';
    printf("%-12s %s (HTTP %d)\n", "health", log_escape(esc, sizeof(esc), health, strlen(health)),
           hstatus);
    policyctl_stats_lookups(&sc);
    policyctl_stats_state(&sc);
    free(sc.s);
    free(sc.body);
    free(health);
    return POLICYCTL_OK;
}

/* override SUBCOMMAND ...; argv[0] is the subcommand. */
static int policyctl_override(const struct cfg *cfg, int argc, char **argv)
{
    const char *ttl = NULL;
    char *pos[3];
    int i, npos = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc && ttl == NULL) {
            ttl = argv[++i];
        } else if (strncmp(argv[i], "--ttl=", 6) == 0 && ttl == NULL) {
            ttl = argv[i] + 6;
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            npos = 4;
            break;
        }
    }
    if (argc < 1)
        goto usage;
    if (strcmp(argv[0], "set") == 0 && npos == 2)
        return policyctl_set(cfg, pos[0], pos[1], ttl);
    if (ttl != NULL)
        goto usage;
    if (strcmp(argv[0], "get") == 0 && npos == 1)
        return policyctl_get(cfg, pos[0]);
    if (strcmp(argv[0], "del") == 0 && npos == 1)
        return policyctl_del(cfg, pos[0]);
    if (strcmp(argv[0], "list") == 0 && npos == 0)
        return policyctl_list(cfg, "route:", policyctl_list_line);
usage:
    policyctl_usage(stderr);
    return POLICYCTL_ERROR;
}

/* Parse the options and run one command; the exit code follows SPEC section 1. */
int main(int argc, char **argv)
{
    const char *path = POLICYCTL_DEFAULT_CONFIG;
    struct cfg *cfg;
    int c, ret;

    log_open(LOG_TARGET_STDERR, 0);
    while ((c = getopt(argc, argv, "+c:h")) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            policyctl_usage(stdout);
            return POLICYCTL_OK;
        default:
            policyctl_usage(stderr);
            return POLICYCTL_ERROR;
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1) {
        policyctl_usage(stderr);
        return POLICYCTL_ERROR;
    }
    if (strcmp(argv[0], "check") == 0 && argc == 1)
        return snapshot_check(path, stdout, stderr) == 0 ? POLICYCTL_OK : POLICYCTL_NOTFOUND;
    if (!(strcmp(argv[0], "override") == 0 && argc >= 2) &&
        !(strcmp(argv[0], "query") == 0 && argc >= 2) &&
        !(strcmp(argv[0], "stats") == 0 && argc == 1) &&
        !(strcmp(argv[0], "learned") == 0 && argc == 1)) {
        policyctl_usage(stderr);
        return POLICYCTL_ERROR;
    }
    if ((cfg = policyctl_cfg(path)) == NULL)
        return POLICYCTL_ERROR;
    if (strcmp(argv[0], "query") == 0)
        ret = policyctl_query(cfg, argc - 1, argv + 1);
    else if (strcmp(argv[0], "stats") == 0)
        ret = policyctl_stats(cfg);
    else if (strcmp(argv[0], "learned") == 0)
        ret = policyctl_list(cfg, "learned:", policyctl_learned_line);
    else
        ret = policyctl_override(cfg, argc - 1, argv + 1);
    cfg_free(cfg);
    return ret;
}
