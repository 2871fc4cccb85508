/* cfg.h - the configuration file (SPEC section 2): parse, validate, defaults. */
#ifndef POLICYD_CFG_H
#define POLICYD_CFG_H

#include <stddef.h>
#include <sys/types.h>

#include "diag.h"
#include "routes.h"

enum cfg_unavailable { CFG_UNAVAILABLE_TEMPFAIL, CFG_UNAVAILABLE_RULES };

/* Hard limits of the configuration file. */
#define CFG_FILE_MAX (1024 * 1024) /* bytes of one file */
#define CFG_LINE_MAX 8192          /* bytes of one line, without its newline */
#define CFG_ERRORS_MAX 100         /* errors reported per file before giving up */

/*
 * A parsed configuration. A plain read-only value: every field is filled (defaults
 * for names not given). Built by cfg_load/cfg_parse, released with cfg_free.
 * Lists (listen, allow, rules) are also NULL-terminated. Relative paths in `rules`
 * and `redis_password_file` are made relative to the directory of the file.
 */
struct cfg {
    char *path; /* the file it came from */

    char **listen; /* endpoints: "inet:HOST:PORT", "inet:[V6]:PORT", "unix:PATH" */
    size_t nlisten;
    mode_t unix_mode;
    char *unix_owner; /* NULL: leave as created */
    char *unix_group;
    char **allow; /* CIDR strings, already validated ("127.0.0.0/8", "::1") */
    size_t nallow;
    char **rules; /* paths or glob patterns, in order */
    size_t nrules;
    struct routes *routes;      /* route.NAME definitions (owned) */
    char *default_route;        /* as written (route name or literal); NULL: empty or DUNNO */
    const char *default_result; /* its transport(5) result, borrowed; NULL: not found */
    size_t default_result_len;

    char *redis; /* NULL: overrides off; else "tcp:HOST:PORT" or "unix:PATH" */
    int redis_db;
    char *redis_username;      /* NULL: none */
    char *redis_password_file; /* NULL: none */
    char *redis_prefix;
    unsigned redis_timeout_ms;
    enum cfg_unavailable redis_unavailable;

    unsigned max_connections;
    size_t max_request_size;
    unsigned idle_timeout_ms;
    unsigned request_timeout_ms; /* a request once begun must be complete within this */
    char *user; /* NULL: do not drop privileges */
    char *group;
    char *pidfile;
    int log_syslog; /* 1: syslog, 0: stderr */
    int log_facility;
    int log_lookups;
    char *metrics_listen; /* NULL: no HTTP metrics; else "inet:ADDRESS:PORT" (numeric) */

    char *dns_resolver; /* "system" or IP[@PORT] forwarders (checked by dns_resolver_check) */
    unsigned dns_timeout_ms;
    unsigned dns_min_ttl_ms, dns_max_ttl_ms, dns_error_ttl_ms;
    size_t dns_cache_size;
    int mx_match_any; /* mx_match: 0 lowest (default), 1 any */
    int dnssec;
    char *dnssec_trust_anchor;

    /* Learning from delivery results (SPEC section 8); all reloadable. */
    char **signatures; /* signature files: paths or glob patterns, in order */
    size_t nsignatures;
    char **learn; /* classes that change routes; 0 of them (`learn =`): learning is off */
    size_t nlearn;
    char *learn_route;        /* a route NAME (never a literal result) */
    const char *learn_result; /* learn_route's transport(5) result, borrowed from routes;
                                 NULL when that route is not defined: nothing is learned */
    unsigned learn_ttl_s;
    int learn_scope_host; /* learn_scope: domain (0, default) | host (1) */
    unsigned learn_max_per_hour;
    unsigned learn_defer_window_s; /* how long a route in force defers rejections (seconds) */
};

/*
 * Parse text[0..len) as configuration file `name`. Every problem is added to d as
 * NAME:LINE: message, all of them, not just the first. Returns a new cfg, or NULL
 * when d got any error.
 */
struct cfg *cfg_parse(const char *name, const char *text, size_t len, struct diag *d);

/* Read and parse the file at path (errors to d, as cfg_parse). */
struct cfg *cfg_load(const char *path, struct diag *d);

/* Accepts NULL. */
void cfg_free(struct cfg *c);

/*
 * Settings marked "restart-only" in the option table are used only at start: a
 * reload compares them with the values the daemon started with and never applies
 * a change. cfg_restart_copy returns a new cfg holding only c's restart-only
 * settings (everything else empty; free with cfg_free), or NULL when out of memory.
 */
struct cfg *cfg_restart_copy(const struct cfg *c);

/*
 * The names of the restart-only settings whose values differ between boot and now,
 * in table order: up to max of them into names (borrowed, static); returns how many
 * differ (possibly more than max).
 */
size_t cfg_restart_changed(const struct cfg *boot, const struct cfg *now, const char **names,
                           size_t max);

/*
 * The i-th name of the option table ("route." stands for every route.NAME), or NULL
 * past its end; *restart_only (may be NULL) tells whether a reload can change it.
 */
const char *cfg_option_name(size_t i, int *restart_only);

/*
 * Parse a duration ("500ms", "5s", "2m", "1h", "1d", bare = seconds) into ms: 0 or
 * -1 (empty, a sign, white space, an unknown unit, or overflow).
 */
int cfg_parse_duration(const char *s, unsigned long long *ms);

#endif
