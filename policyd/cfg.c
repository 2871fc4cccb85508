/*
 * cfg.c - the configuration file (SPEC section 2): parse, validate, defaults.
 *
 * One table describes every name: its setter (the type), the field it fills, its
 * bounds and its default written as text. Defaults go through the same setters as
 * the file, so a default can never be something the file could not say. Every
 * problem becomes one FILE:LINE diagnostic; parsing goes on after an error so that
 * the administrator sees all of them at once (up to CFG_ERRORS_MAX).
 *
 * Decisions where the SPEC is silent:
 *  - '#' starts a comment anywhere on a line: no value may contain a '#'.
 *  - Names are case-sensitive (like Postfix's main.cf); values of enums and
 *    booleans are not.
 *  - A line ending in CR LF is accepted; other control characters and NUL bytes are
 *    errors. Lines are at most CFG_LINE_MAX bytes, files CFG_FILE_MAX bytes. The
 *    file is read by lines.c, the reader the rule files share: anything but a
 *    regular file (a FIFO, a device) is refused without blocking.
 *  - Listen hosts may be host names ("inet:localhost:10027"): they are checked for
 *    syntax here and resolved by the server when it binds, never here.
 *  - Sizes: k = 1024, m = 1024 * 1024. Units are lower case ("500ms", "10k"; "10K"
 *    is accepted for sizes too).
 *  - Relative paths in `rules` and `redis_password_file` are relative to the
 *    directory of the configuration file; pidfile and unix sockets must be absolute.
 *  - Bounds: max_connections 1..1000000, max_request_size 16..1m (Postfix 3.12
 *    refuses keys over 10000 bytes, and every connection may hold this much),
 *    redis_timeout 1ms..1m, idle_timeout and request_timeout 1s..1d, redis_db 0..INT_MAX.
 *  - default_route = DUNNO means the same as an empty default_route.
 *  - An allow entry with host bits set past its prefix ("127.0.0.1/8") is a warning;
 *    the bits are ignored.
 *  - learn names classes ([a-z0-9_-]+, the words signature files use); learn_route
 *    names a route (a literal result is an error: the name is what a learned override
 *    stores). A learn_route that is not defined is no error (a configuration without
 *    a smarthost keeps working): learn_result stays NULL and the snapshot warns.
 *    learn_ttl is whole seconds, 1s..30d; learn_max_per_hour 0..100000 (0: none);
 *    learn_defer_window whole seconds, 0s..30d (0: only the rejection that stored a
 *    route is deferred).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfg.h"
#include "endpoint.h"
#include "lines.h"
#include "dns.h"
#include "log.h"
#include "sig.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CFG_ERR_MAX 512      /* one reason from a setter */
#define CFG_QUOTE_MAX 160    /* a value quoted in a message (escaped, cut with "...") */
#define CFG_LIST_MAX 1024    /* items in one list */
#define CFG_PATH_MAX 4096    /* bytes of a path in rules or redis_password_file */
#define CFG_PREFIX_MAX 256   /* bytes of redis_prefix */
#define CFG_ACCOUNT_MAX 64   /* bytes of a user or group name */
#define CFG_BLANKS " \t"     /* white space within a line */
#define CFG_LIST_SEPS ", \t" /* list separators */

/* Flags of a table entry. */
#define CFG_F_PREFIX 0x01   /* the name is a prefix ("route.") */
#define CFG_F_EMPTY_OK 0x02 /* an empty value is allowed (NULL / empty list) */
#define CFG_F_SPACES 0x04   /* the value may contain white space (a result) */
#define CFG_F_RELPATH 0x08  /* relative paths are joined with the file's directory */
#define CFG_F_UNIQUE 0x10   /* list items must not repeat */
#define CFG_F_RESTART 0x20  /* used only at start: a reload logs a change, never applies it */

struct cfg_option;
struct cfg_state;

/* A setter parses value for option o into st->c; 0, or -1 with a reason in err. */
typedef int cfg_setter(const struct cfg_option *o, struct cfg_state *st, const char *name,
                       const char *value, char *err, size_t errsize);
/* A check of one string value or list item; 0, or -1 with a reason in err. */
typedef int cfg_checker(struct cfg_state *st, const char *item, char *err, size_t errsize);

struct cfg_enum {
    const char *name;
    int value;
};

struct cfg_option {
    const char *name;
    cfg_setter *set;
    size_t off;   /* the field in struct cfg */
    size_t off_n; /* lists: the count field */
    unsigned long long min, max;
    const char *range; /* durations and sizes: bounds as written in messages */
    const struct cfg_enum *values;
    cfg_checker *check;
    const char *def; /* default as the file would say it; NULL: none */
    unsigned flags;
};

/* One parse in progress. */
struct cfg_state {
    struct cfg *c;
    struct diag *d;
    const char *file;
    char *dir;      /* directory of file for relative paths; NULL: keep them as written */
    unsigned line;  /* current line; 0 while applying defaults */
    size_t errors;  /* errors added by this parse */
    int stop;       /* too many errors: ignore the rest */
    unsigned *seen; /* per option: the line that set it, 0 if none */
    unsigned default_line;
};

static cfg_setter cfg_set_string, cfg_set_list, cfg_set_duration, cfg_set_seconds, cfg_set_size,
    cfg_set_uint, cfg_set_int, cfg_set_bool, cfg_set_mode, cfg_set_enum, cfg_set_facility,
    cfg_set_route, cfg_set_default;
static cfg_checker cfg_check_listen, cfg_check_redis, cfg_check_allow, cfg_check_path,
    cfg_check_abspath, cfg_check_account, cfg_check_prefix, cfg_check_metrics,
    cfg_check_resolver, cfg_check_class, cfg_check_route_name;

static const struct cfg_enum cfg_unavailable_values[] = {
    {"tempfail", CFG_UNAVAILABLE_TEMPFAIL},
    {"rules", CFG_UNAVAILABLE_RULES},
    {NULL, 0},
};

static const struct cfg_enum cfg_mx_match_values[] = {
    {"lowest", 0},
    {"any", 1},
    {NULL, 0},
};

static const struct cfg_enum cfg_scope_values[] = {
    {"domain", 0},
    {"host", 1},
    {NULL, 0},
};

static const struct cfg_enum cfg_target_values[] = {
    {"syslog", 1},
    {"stderr", 0},
    {NULL, 0},
};

/* cfg_set_enum writes an int; the enum field must be one. */
_Static_assert(sizeof(enum cfg_unavailable) == sizeof(int), "enum cfg_unavailable is an int");

#define CFG_OFF(field) offsetof(struct cfg, field)

/* Every configuration name. Keep in the order of SPEC section 2. */
static const struct cfg_option cfg_options[] = {
    {"listen", cfg_set_list, CFG_OFF(listen), CFG_OFF(nlisten), 0, 0, NULL, NULL, cfg_check_listen,
     "inet:127.0.0.1:10027", CFG_F_UNIQUE | CFG_F_RESTART},
    {"unix_mode", cfg_set_mode, CFG_OFF(unix_mode), 0, 0, 0777, NULL, NULL, NULL, "0660",
     CFG_F_RESTART},
    {"unix_owner", cfg_set_string, CFG_OFF(unix_owner), 0, 0, 0, NULL, NULL, cfg_check_account,
     NULL, CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"unix_group", cfg_set_string, CFG_OFF(unix_group), 0, 0, 0, NULL, NULL, cfg_check_account,
     NULL, CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"allow", cfg_set_list, CFG_OFF(allow), CFG_OFF(nallow), 0, 0, NULL, NULL, cfg_check_allow,
     "127.0.0.0/8, ::1", CFG_F_EMPTY_OK},
    {"rules", cfg_set_list, CFG_OFF(rules), CFG_OFF(nrules), 0, 0, NULL, NULL, cfg_check_path,
     SYSCONFDIR "/policyd/rules/*.rules", CFG_F_EMPTY_OK | CFG_F_RELPATH},
    {"route.", cfg_set_route, 0, 0, 0, 0, NULL, NULL, NULL, NULL, CFG_F_PREFIX | CFG_F_SPACES},
    {"default_route", cfg_set_default, CFG_OFF(default_route), 0, 0, 0, NULL, NULL, NULL, NULL,
     CFG_F_EMPTY_OK | CFG_F_SPACES},
    {"redis", cfg_set_string, CFG_OFF(redis), 0, 0, 0, NULL, NULL, cfg_check_redis, NULL,
     CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"redis_db", cfg_set_int, CFG_OFF(redis_db), 0, 0, INT_MAX, NULL, NULL, NULL, "0",
     CFG_F_RESTART},
    {"redis_username", cfg_set_string, CFG_OFF(redis_username), 0, 0, 0, NULL, NULL,
     cfg_check_account, NULL, CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"redis_password_file", cfg_set_string, CFG_OFF(redis_password_file), 0, 0, 0, NULL, NULL,
     cfg_check_path, NULL, CFG_F_EMPTY_OK | CFG_F_RELPATH | CFG_F_RESTART},
    {"redis_prefix", cfg_set_string, CFG_OFF(redis_prefix), 0, 0, 0, NULL, NULL, cfg_check_prefix,
     "policyd:", CFG_F_RESTART},
    {"redis_timeout", cfg_set_duration, CFG_OFF(redis_timeout_ms), 0, 1, 60000, "1ms..1m", NULL,
     NULL, "500ms", CFG_F_RESTART},
    {"redis_unavailable", cfg_set_enum, CFG_OFF(redis_unavailable), 0, 0, 0, NULL,
     cfg_unavailable_values, NULL, "tempfail", 0},
    {"max_connections", cfg_set_uint, CFG_OFF(max_connections), 0, 1, 1000000, NULL, NULL, NULL,
     "1024", 0},
    {"max_request_size", cfg_set_size, CFG_OFF(max_request_size), 0, 16, 1048576, "16..1m", NULL,
     NULL, "10000", 0},
    {"idle_timeout", cfg_set_duration, CFG_OFF(idle_timeout_ms), 0, 1000, 86400000, "1s..1d", NULL,
     NULL, "300s", CFG_F_RESTART},
    {"request_timeout", cfg_set_duration, CFG_OFF(request_timeout_ms), 0, 1000, 86400000,
     "1s..1d", NULL, NULL, "10s", CFG_F_RESTART},
    {"user", cfg_set_string, CFG_OFF(user), 0, 0, 0, NULL, NULL, cfg_check_account, NULL,
     CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"group", cfg_set_string, CFG_OFF(group), 0, 0, 0, NULL, NULL, cfg_check_account, NULL,
     CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"pidfile", cfg_set_string, CFG_OFF(pidfile), 0, 0, 0, NULL, NULL, cfg_check_abspath,
     "/run/policyd/policyd.pid", CFG_F_RESTART},
    {"log_target", cfg_set_enum, CFG_OFF(log_syslog), 0, 0, 0, NULL, cfg_target_values, NULL,
     "syslog", CFG_F_RESTART},
    {"log_facility", cfg_set_facility, CFG_OFF(log_facility), 0, 0, 0, NULL, NULL, NULL, "mail",
     CFG_F_RESTART},
    {"log_lookups", cfg_set_bool, CFG_OFF(log_lookups), 0, 0, 0, NULL, NULL, NULL, "no", 0},
    {"metrics_listen", cfg_set_string, CFG_OFF(metrics_listen), 0, 0, 0, NULL, NULL,
     cfg_check_metrics, NULL, CFG_F_EMPTY_OK | CFG_F_RESTART},
    {"dns_resolver", cfg_set_string, CFG_OFF(dns_resolver), 0, 0, 0, NULL, NULL, cfg_check_resolver,
     "system", CFG_F_SPACES | CFG_F_RESTART},
    {"dns_timeout", cfg_set_duration, CFG_OFF(dns_timeout_ms), 0, 10, 60000, "10ms..1m", NULL, NULL,
     "5s", CFG_F_RESTART},
    {"dns_min_ttl", cfg_set_duration, CFG_OFF(dns_min_ttl_ms), 0, 0, 86400000, "0..1d", NULL, NULL,
     "60s", CFG_F_RESTART},
    {"dns_max_ttl", cfg_set_duration, CFG_OFF(dns_max_ttl_ms), 0, 1000, 604800000, "1s..7d", NULL,
     NULL, "1h", CFG_F_RESTART},
    {"dns_error_ttl", cfg_set_duration, CFG_OFF(dns_error_ttl_ms), 0, 0, 3600000, "0..1h", NULL,
     NULL, "5s", CFG_F_RESTART},
    {"dns_cache_size", cfg_set_size, CFG_OFF(dns_cache_size), 0, 1, 100000000, "1..100m", NULL,
     NULL, "100000", CFG_F_RESTART},
    {"mx_match", cfg_set_enum, CFG_OFF(mx_match_any), 0, 0, 0, NULL, cfg_mx_match_values, NULL,
     "lowest", 0},
    {"dnssec", cfg_set_bool, CFG_OFF(dnssec), 0, 0, 0, NULL, NULL, NULL, "no", CFG_F_RESTART},
    {"dnssec_trust_anchor", cfg_set_string, CFG_OFF(dnssec_trust_anchor), 0, 0, 0, NULL, NULL,
     cfg_check_path, "/usr/share/dns/root.key", CFG_F_RELPATH | CFG_F_RESTART},
    {"signatures", cfg_set_list, CFG_OFF(signatures), CFG_OFF(nsignatures), 0, 0, NULL, NULL,
     cfg_check_path, SYSCONFDIR "/policyd/signatures/*.sig", CFG_F_EMPTY_OK | CFG_F_RELPATH},
    {"learn", cfg_set_list, CFG_OFF(learn), CFG_OFF(nlearn), 0, 0, NULL, NULL, cfg_check_class,
     "ptr", CFG_F_EMPTY_OK | CFG_F_UNIQUE},
    {"learn_route", cfg_set_string, CFG_OFF(learn_route), 0, 0, 0, NULL, NULL,
     cfg_check_route_name, "smarthost", 0},
    {"learn_ttl", cfg_set_seconds, CFG_OFF(learn_ttl_s), 0, 1000, 2592000000ULL, "1s..30d", NULL,
     NULL, "6h", 0},
    {"learn_scope", cfg_set_enum, CFG_OFF(learn_scope_host), 0, 0, 0, NULL, cfg_scope_values, NULL,
     "domain", 0},
    {"learn_max_per_hour", cfg_set_uint, CFG_OFF(learn_max_per_hour), 0, 0, 100000, NULL, NULL,
     NULL, "20", 0},
    {"learn_defer_window", cfg_set_seconds, CFG_OFF(learn_defer_window_s), 0, 0, 2592000000ULL,
     "0s..30d", NULL, NULL, "1h", 0},
};

#define CFG_NOPTIONS (sizeof(cfg_options) / sizeof(cfg_options[0]))

/* Fill err like snprintf (err may be NULL). */
static void __attribute__((format(printf, 3, 4)))
cfg_err(char *err, size_t errsize, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errsize == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap);
    va_end(ap);
}

/* Escape s for a message (values may hold bytes that must not reach a log raw). */
static const char *cfg_quote(char *buf, size_t size, const char *s)
{
    return log_escape(buf, size, s, strlen(s));
}

/* Add one error at the current line, counting it; stops after CFG_ERRORS_MAX. */
static void __attribute__((format(printf, 3, 4)))
cfg_error(struct cfg_state *st, unsigned line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (st->stop)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_error(st->d, st->file, line, "%s", msg);
    if (++st->errors >= CFG_ERRORS_MAX) {
        diag_error(st->d, st->file, line, "too many errors, giving up");
        st->errors++;
        st->stop = 1;
    }
}

/* The field of c at offset off. */
static void *cfg_field(struct cfg *c, size_t off)
{
    return (char *)c + off;
}

/* The field of a read-only c at offset off. */
static const void *cfg_cfield(const struct cfg *c, size_t off)
{
    return (const char *)c + off;
}

/* Parse an unsigned decimal number (digits only, no sign or blanks); 0 or -1. */
static int cfg_parse_number(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned digit;

        if (s[i] < '0' || s[i] > '9')
            return -1;
        digit = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

/* Length of the leading decimal digits of s. */
static size_t cfg_digits(const char *s)
{
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

/* Parse a duration into milliseconds. */
int cfg_parse_duration(const char *s, unsigned long long *ms)
{
    static const struct {
        const char *unit;
        unsigned long long mult;
    } units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    unsigned long long v;
    size_t n, i;

    if (s == NULL || ms == NULL)
        return -1;
    n = cfg_digits(s);
    if (cfg_parse_number(s, n, &v) < 0)
        return -1;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(s + n, units[i].unit) != 0)
            continue;
        if (v > ULLONG_MAX / units[i].mult)
            return -1;
        *ms = v * units[i].mult;
        return 0;
    }
    return -1;
}

/* Parse a size ("10000", "10k", "1m") into bytes; 0 or -1. */
static int cfg_parse_size(const char *s, unsigned long long *bytes)
{
    unsigned long long v, mult = 1;
    size_t n = cfg_digits(s);

    if (cfg_parse_number(s, n, &v) < 0)
        return -1;
    if (s[n] == 'k' || s[n] == 'K')
        mult = 1024;
    else if (s[n] == 'm' || s[n] == 'M')
        mult = 1024 * 1024;
    else if (s[n] != '\0')
        return -1;
    if (mult != 1 && s[n + 1] != '\0')
        return -1;
    if (v > ULLONG_MAX / mult)
        return -1;
    *bytes = v * mult;
    return 0;
}

/* Check one listen endpoint. */
static int cfg_check_listen(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    struct endpoint ep;

    return endpoint_parse(item, "inet", &ep, err, errsize);
}

/* Check metrics_listen: inet with a numeric address (one socket; see metrics.c). */
static int cfg_check_metrics(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    struct endpoint ep;
    unsigned char bin[16];

    if (endpoint_parse(item, "inet", &ep, err, errsize) < 0)
        return -1;
    if (ep.is_unix ||
        (inet_pton(AF_INET, ep.host, bin) != 1 && inet_pton(AF_INET6, ep.host, bin) != 1)) {
        cfg_err(err, errsize, "expected inet:ADDRESS:PORT or inet:[IPV6]:PORT (a numeric address)");
        return -1;
    }
    return 0;
}

/* Check the redis endpoint. */
static int cfg_check_redis(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    struct endpoint ep;

    return endpoint_parse(item, "tcp", &ep, err, errsize);
}

/* Check one allow entry; host bits past the prefix are only a warning. */
static int cfg_check_allow(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    unsigned char addr[16];
    unsigned prefix;
    int family, hostbits;
    char q[CFG_QUOTE_MAX];

    if (endpoint_parse_cidr(item, &family, addr, &prefix, &hostbits) < 0) {
        cfg_err(err, errsize, "not an address or network (ADDRESS[/PREFIX])");
        return -1;
    }
    if (hostbits && st->line > 0)
        diag_warning(st->d, st->file, st->line,
                     "allow: \"%s\" has host bits set past the prefix; they are ignored",
                     cfg_quote(q, sizeof(q), item));
    return 0;
}

/* Check a path (a rule file, a glob or the password file): bounded. */
static int cfg_check_path(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    if (strlen(item) >= CFG_PATH_MAX) {
        cfg_err(err, errsize, "path longer than %d bytes", CFG_PATH_MAX - 1);
        return -1;
    }
    return 0;
}

/* Check an absolute path (the pidfile: written after the daemon changed directory). */
static int cfg_check_abspath(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    if (item[0] != '/') {
        cfg_err(err, errsize, "path must be absolute");
        return -1;
    }
    return cfg_check_path(st, item, err, errsize);
}

/* Check a class word of learn: [a-z0-9_-]+, as signature files write them. */
static int cfg_check_class(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    if (!sigs_class_ok(item, strlen(item))) {
        cfg_err(err, errsize, "not a class ([a-z0-9_-]+, at most %d bytes)", SIGS_CLASS_MAX);
        return -1;
    }
    return 0;
}

/* Check learn_route: a route name (whether it is defined is resolved after the file). */
static int cfg_check_route_name(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    if (strchr(item, ':') != NULL) {
        cfg_err(err, errsize, "names a route (route.NAME), not a transport(5) result");
        return -1;
    }
    return routes_check_name(item, strlen(item), err, errsize);
}

/* Check dns_resolver: "system" or IP[@PORT] forwarders. */
static int cfg_check_resolver(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    return dns_resolver_check(item, err, errsize);
}

/* Check a user or group name: [A-Za-z0-9._-], not starting with '-' (looked up by name at start).
 */
static int cfg_check_account(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    size_t len = strlen(item);

    if (len > CFG_ACCOUNT_MAX || item[0] == '-' ||
        strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len) {
        cfg_err(err, errsize, "not a valid user or group name");
        return -1;
    }
    return 0;
}

/* Check redis_prefix: bounded (white space is excluded by the setter). */
static int cfg_check_prefix(struct cfg_state *st, const char *item, char *err, size_t errsize)
{
    if (strlen(item) > CFG_PREFIX_MAX) {
        cfg_err(err, errsize, "longer than %d bytes", CFG_PREFIX_MAX);
        return -1;
    }
    return 0;
}

/* A copy of path, joined with the file's directory when relative and requested. */
static char *cfg_path_dup(const struct cfg_option *o, struct cfg_state *st, const char *path)
{
    size_t dlen, plen;
    char *out;

    if (!(o->flags & CFG_F_RELPATH) || st->dir == NULL || path[0] == '/')
        return strdup(path);
    dlen = strlen(st->dir);
    plen = strlen(path);
    if (dlen > SIZE_MAX - plen - 2 || (out = malloc(dlen + plen + 2)) == NULL)
        return NULL;
    memcpy(out, st->dir, dlen);
    if (dlen > 0 && out[dlen - 1] != '/')
        out[dlen++] = '/';
    memcpy(out + dlen, path, plen + 1);
    return out;
}

/* Free a NULL-terminated list of n strings. */
static void cfg_list_free(char **v, size_t n)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Run the option's check on item; on failure the reason is prefixed with the quoted item. */
static int cfg_check_item(const struct cfg_option *o, struct cfg_state *st, const char *item,
                          char *err, size_t errsize)
{
    char reason[CFG_ERR_MAX];
    char q[CFG_QUOTE_MAX];

    if (o->check == NULL)
        return 0;
    reason[0] = '\0';
    if (o->check(st, item, reason, sizeof(reason)) == 0)
        return 0;
    cfg_err(err, errsize, "\"%s\": %s", cfg_quote(q, sizeof(q), item), reason);
    return -1;
}

/* Set a single string value (NULL when empty and allowed). */
static int cfg_set_string(const struct cfg_option *o, struct cfg_state *st, const char *name,
                          const char *value, char *err, size_t errsize)
{
    char **field = cfg_field(st->c, o->off);
    char *copy = NULL;
    char q[CFG_QUOTE_MAX];

    if (value[0] == '\0') {
        if (!(o->flags & CFG_F_EMPTY_OK)) {
            cfg_err(err, errsize, "needs a value");
            return -1;
        }
    } else {
        if (!(o->flags & CFG_F_SPACES) && strpbrk(value, CFG_BLANKS) != NULL) {
            cfg_err(err, errsize, "expects one value, not \"%s\"", cfg_quote(q, sizeof(q), value));
            return -1;
        }
        if (cfg_check_item(o, st, value, err, errsize) < 0)
            return -1;
        if ((copy = cfg_path_dup(o, st, value)) == NULL) {
            cfg_err(err, errsize, "out of memory");
            return -1;
        }
    }
    free(*field);
    *field = copy;
    return 0;
}

/* Whether item already appears in v[0..n). */
static int cfg_list_has(char *const *v, size_t n, const char *item)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i], item) == 0)
            return 1;
    return 0;
}

/* Whether the lists a and b of n strings hold the same strings in the same order. */
static int cfg_list_eq(char *const *a, char *const *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

/* Set a list: items separated by commas or white space, each checked. */
static int cfg_set_list(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    char ***field = cfg_field(st->c, o->off);
    size_t *nfield = cfg_field(st->c, o->off_n);
    char **v = NULL, *buf = NULL, *item, *save = NULL;
    size_t n = 0;
    char q[CFG_QUOTE_MAX];

    if ((buf = strdup(value)) == NULL || (v = calloc(CFG_LIST_MAX + 1, sizeof(*v))) == NULL)
        goto oom;
    for (item = strtok_r(buf, CFG_LIST_SEPS, &save); item != NULL;
         item = strtok_r(NULL, CFG_LIST_SEPS, &save)) {
        if (n == CFG_LIST_MAX) {
            cfg_err(err, errsize, "more than %d items", CFG_LIST_MAX);
            goto fail;
        }
        if (cfg_check_item(o, st, item, err, errsize) < 0)
            goto fail;
        if ((o->flags & CFG_F_UNIQUE) && cfg_list_has(v, n, item)) {
            cfg_err(err, errsize, "\"%s\" is listed twice", cfg_quote(q, sizeof(q), item));
            goto fail;
        }
        if ((v[n] = cfg_path_dup(o, st, item)) == NULL)
            goto oom;
        n++;
    }
    if (n == 0 && !(o->flags & CFG_F_EMPTY_OK)) {
        cfg_err(err, errsize, "needs at least one value");
        goto fail;
    }
    free(buf);
    cfg_list_free(*field, *nfield);
    *field = v;
    *nfield = n;
    return 0;
oom:
    cfg_err(err, errsize, "out of memory");
fail:
    cfg_list_free(v, n);
    free(buf);
    return -1;
}

/* Check a parsed number against the option's bounds. */
static int cfg_check_bounds(const struct cfg_option *o, unsigned long long v, const char *value,
                            char *err, size_t errsize)
{
    char q[CFG_QUOTE_MAX];

    if (v >= o->min && v <= o->max)
        return 0;
    if (o->range != NULL)
        cfg_err(err, errsize, "\"%s\" is out of range %s", cfg_quote(q, sizeof(q), value),
                o->range);
    else
        cfg_err(err, errsize, "\"%s\" is out of range %llu..%llu", cfg_quote(q, sizeof(q), value),
                o->min, o->max);
    return -1;
}

/* Set a duration (unsigned milliseconds). */
static int cfg_set_duration(const struct cfg_option *o, struct cfg_state *st, const char *name,
                            const char *value, char *err, size_t errsize)
{
    unsigned long long ms;
    char q[CFG_QUOTE_MAX];

    if (cfg_parse_duration(value, &ms) < 0) {
        cfg_err(err, errsize, "\"%s\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)",
                cfg_quote(q, sizeof(q), value));
        return -1;
    }
    if (cfg_check_bounds(o, ms, value, err, errsize) < 0)
        return -1;
    *(unsigned *)cfg_field(st->c, o->off) = (unsigned)ms;
    return 0;
}

/* Set a duration in whole seconds (unsigned); the bounds are in milliseconds (<= UINT_MAX). */
static int cfg_set_seconds(const struct cfg_option *o, struct cfg_state *st, const char *name,
                           const char *value, char *err, size_t errsize)
{
    unsigned *field = cfg_field(st->c, o->off);
    char q[CFG_QUOTE_MAX];

    if (cfg_set_duration(o, st, name, value, err, errsize) < 0) /* stores milliseconds */
        return -1;
    if (*field % 1000 != 0) {
        cfg_err(err, errsize, "\"%s\" is not whole seconds", cfg_quote(q, sizeof(q), value));
        return -1;
    }
    *field /= 1000;
    return 0;
}

/* Set a size in bytes (size_t). */
static int cfg_set_size(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    unsigned long long bytes;
    char q[CFG_QUOTE_MAX];

    if (cfg_parse_size(value, &bytes) < 0) {
        cfg_err(err, errsize, "\"%s\" is not a size (like 10000, 16k, 1m)",
                cfg_quote(q, sizeof(q), value));
        return -1;
    }
    if (cfg_check_bounds(o, bytes, value, err, errsize) < 0)
        return -1;
    *(size_t *)cfg_field(st->c, o->off) = (size_t)bytes;
    return 0;
}

/* Parse a bounded decimal integer; 0 or -1 with err. */
static int cfg_number_value(const struct cfg_option *o, const char *value, unsigned long long *out,
                            char *err, size_t errsize)
{
    char q[CFG_QUOTE_MAX];

    if (cfg_parse_number(value, strlen(value), out) < 0) {
        cfg_err(err, errsize, "\"%s\" is not a number", cfg_quote(q, sizeof(q), value));
        return -1;
    }
    return cfg_check_bounds(o, *out, value, err, errsize);
}

/* Set an unsigned integer field. */
static int cfg_set_uint(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    unsigned long long v;

    if (cfg_number_value(o, value, &v, err, errsize) < 0)
        return -1;
    *(unsigned *)cfg_field(st->c, o->off) = (unsigned)v;
    return 0;
}

/* Set an int field (bounds within 0..INT_MAX). */
static int cfg_set_int(const struct cfg_option *o, struct cfg_state *st, const char *name,
                       const char *value, char *err, size_t errsize)
{
    unsigned long long v;

    if (cfg_number_value(o, value, &v, err, errsize) < 0)
        return -1;
    *(int *)cfg_field(st->c, o->off) = (int)v;
    return 0;
}

/* Set a boolean: yes/no, true/false, on/off, 1/0 in any case. */
static int cfg_set_bool(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    static const struct cfg_enum bools[] = {
        {"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1}, {"off", 0}, {"1", 1}, {"0", 0},
    };
    size_t i;
    char q[CFG_QUOTE_MAX];

    for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        if (strcasecmp(value, bools[i].name) == 0) {
            *(int *)cfg_field(st->c, o->off) = bools[i].value;
            return 0;
        }
    }
    cfg_err(err, errsize, "\"%s\" is not yes/no/true/false/on/off/1/0",
            cfg_quote(q, sizeof(q), value));
    return -1;
}

/* Set an octal file mode 0000..0777 (leading zero optional). */
static int cfg_set_mode(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    size_t len = strlen(value), i;
    unsigned v = 0;
    char q[CFG_QUOTE_MAX];

    if (len == 0 || len > 4 || strspn(value, "01234567") != len)
        goto bad;
    for (i = 0; i < len; i++)
        v = v * 8 + (unsigned)(value[i] - '0');
    if (v > o->max)
        goto bad;
    *(mode_t *)cfg_field(st->c, o->off) = (mode_t)v;
    return 0;
bad:
    cfg_err(err, errsize, "\"%s\" is not an octal mode 0000..0777", cfg_quote(q, sizeof(q), value));
    return -1;
}

/* Set an int field from the option's table of names (any case). */
static int cfg_set_enum(const struct cfg_option *o, struct cfg_state *st, const char *name,
                        const char *value, char *err, size_t errsize)
{
    const struct cfg_enum *e;
    char q[CFG_QUOTE_MAX], names[128];
    size_t used = 0;

    for (e = o->values; e->name != NULL; e++) {
        if (strcasecmp(value, e->name) == 0) {
            *(int *)cfg_field(st->c, o->off) = e->value;
            return 0;
        }
    }
    names[0] = '\0';
    for (e = o->values; e->name != NULL && used < sizeof(names); e++) {
        int w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? "|" : "", e->name);

        if (w < 0)
            break;
        used += (size_t)w;
    }
    cfg_err(err, errsize, "\"%s\" is not one of %s", cfg_quote(q, sizeof(q), value), names);
    return -1;
}

/* Set a syslog facility by name. */
static int cfg_set_facility(const struct cfg_option *o, struct cfg_state *st, const char *name,
                            const char *value, char *err, size_t errsize)
{
    char q[CFG_QUOTE_MAX];

    if (log_facility_parse(value, cfg_field(st->c, o->off)) < 0) {
        cfg_err(err, errsize, "unknown syslog facility \"%s\"", cfg_quote(q, sizeof(q), value));
        return -1;
    }
    return 0;
}

/* Define route.NAME = RESULT. */
static int cfg_set_route(const struct cfg_option *o, struct cfg_state *st, const char *name,
                         const char *value, char *err, size_t errsize)
{
    return routes_define(st->c->routes, name + strlen(o->name), value, err, errsize);
}

/* Set default_route; resolved once the whole file is read (lines may come in any order). */
static int cfg_set_default(const struct cfg_option *o, struct cfg_state *st, const char *name,
                           const char *value, char *err, size_t errsize)
{
    if (cfg_set_string(o, st, name, value, err, errsize) < 0)
        return -1;
    st->default_line = st->line;
    return 0;
}

/* The table entry for name, or NULL. */
static const struct cfg_option *cfg_option_find(const char *name)
{
    size_t i;

    for (i = 0; i < CFG_NOPTIONS; i++) {
        const struct cfg_option *o = &cfg_options[i];

        if (o->flags & CFG_F_PREFIX) {
            if (strncmp(name, o->name, strlen(o->name)) == 0)
                return o;
        } else if (strcmp(name, o->name) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Trim white space at both ends of s[0..*len); returns the new start. */
static const char *cfg_trim(const char *s, size_t *len)
{
    while (*len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        (*len)--;
    }
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return s;
}

/* Apply one "name = value" (NUL-terminated, trimmed) at the current line. */
static void cfg_apply(struct cfg_state *st, const char *name, const char *value)
{
    const struct cfg_option *o = cfg_option_find(name);
    size_t idx;
    char err[CFG_ERR_MAX];
    char q[CFG_QUOTE_MAX];

    if (o == NULL) {
        cfg_error(st, st->line, "unknown name \"%s\"", cfg_quote(q, sizeof(q), name));
        return;
    }
    idx = (size_t)(o - cfg_options);
    if (!(o->flags & CFG_F_PREFIX)) {
        if (st->seen[idx] != 0) {
            cfg_error(st, st->line, "duplicate %s (first set at line %u)", o->name, st->seen[idx]);
            return;
        }
        st->seen[idx] = st->line;
    }
    err[0] = '\0';
    if (o->set(o, st, name, value, err, sizeof(err)) < 0)
        cfg_error(st, st->line, "%s: %s", cfg_quote(q, sizeof(q), name), err);
}

/* Parse one line s[0..len) as the reader hands it (no newline, CR or NUL; bounded). */
static void cfg_line(struct cfg_state *st, const char *s, size_t len)
{
    char buf[CFG_LINE_MAX + 1];
    const char *eq, *name, *value, *hash;
    size_t nlen, vlen, i;

    if ((hash = memchr(s, '#', len)) != NULL)
        len = (size_t)(hash - s);
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            cfg_error(st, st->line, "control character \\x%02x", ch);
            return;
        }
    }
    s = cfg_trim(s, &len);
    if (len == 0)
        return;
    if ((eq = memchr(s, '=', len)) == NULL) {
        cfg_error(st, st->line, "expected \"name = value\"");
        return;
    }
    nlen = (size_t)(eq - s);
    name = cfg_trim(s, &nlen);
    vlen = len - (size_t)(eq + 1 - s);
    value = cfg_trim(eq + 1, &vlen);
    if (nlen == 0) {
        cfg_error(st, st->line, "missing name before \"=\"");
        return;
    }
    /* name and value side by side in buf; together they are shorter than the line */
    memcpy(buf, name, nlen);
    buf[nlen] = '\0';
    memcpy(buf + nlen + 1, value, vlen);
    buf[nlen + 1 + vlen] = '\0';
    cfg_apply(st, buf, buf + nlen + 1);
}

/* Set every default through the table's own setters. */
static int cfg_defaults(struct cfg_state *st)
{
    size_t i;
    char err[CFG_ERR_MAX];

    for (i = 0; i < CFG_NOPTIONS; i++) {
        const struct cfg_option *o = &cfg_options[i];

        if (o->def == NULL)
            continue;
        if (o->set(o, st, o->name, o->def, err, sizeof(err)) < 0) {
            cfg_error(st, 0, "default of %s: %s", o->name, err);
            return -1;
        }
    }
    return 0;
}

/* Resolve default_route against the routes (the whole file has been read). */
static void cfg_resolve_default(struct cfg_state *st)
{
    struct cfg *c = st->c;
    char err[CFG_ERR_MAX];
    const char *result = NULL;
    size_t rlen = 0;
    int r;

    if (c->default_route == NULL)
        return;
    err[0] = '\0';
    r = routes_resolve(c->routes, c->default_route, strlen(c->default_route), &result, &rlen, err,
                       sizeof(err));
    if (r < 0) {
        cfg_error(st, st->default_line, "default_route: %s", err);
    } else if (r == 0) {
        free(c->default_route);
        c->default_route = NULL;
    } else {
        c->default_result = result;
        c->default_result_len = rlen;
    }
}

/* Resolve learn_route (undefined: learning is off, not an error; see the top). */
static void cfg_resolve_learn(struct cfg_state *st)
{
    struct cfg *c = st->c;

    c->learn_result = c->learn_route == NULL
                          ? NULL
                          : routes_get(c->routes, c->learn_route, strlen(c->learn_route));
}

/* Settings that only make sense together (checked once the whole file is read). */
static void cfg_check_pairs(struct cfg_state *st)
{
    const struct cfg_option *o = cfg_option_find("redis_username");

    if (st->c->redis_username != NULL && st->c->redis_password_file == NULL)
        cfg_error(st, o ? st->seen[o - cfg_options] : 0,
                  "redis_username needs redis_password_file (an ACL user logs in with a password)");
    o = cfg_option_find("dns_min_ttl");
    if (st->c->dns_min_ttl_ms > st->c->dns_max_ttl_ms)
        cfg_error(st, o ? st->seen[o - cfg_options] : 0, "dns_min_ttl is over dns_max_ttl");
}

/* The directory part of file ("/etc/policyd" for "/etc/policyd/policyd.conf"), or NULL. */
static char *cfg_dirname(const char *file)
{
    const char *slash = strrchr(file, '/');
    size_t n;
    char *dir;

    if (slash == NULL)
        return NULL;
    n = slash == file ? 1 : (size_t)(slash - file);
    if ((dir = malloc(n + 1)) == NULL)
        return NULL;
    memcpy(dir, file, n);
    dir[n] = '\0';
    return dir;
}

/* Free a configuration; accepts NULL. */
void cfg_free(struct cfg *c)
{
    if (c == NULL)
        return;
    free(c->path);
    cfg_list_free(c->listen, c->nlisten);
    free(c->unix_owner);
    free(c->unix_group);
    cfg_list_free(c->allow, c->nallow);
    cfg_list_free(c->rules, c->nrules);
    routes_free(c->routes);
    free(c->default_route);
    free(c->redis);
    free(c->redis_username);
    free(c->dns_resolver);
    free(c->dnssec_trust_anchor);
    free(c->redis_password_file);
    free(c->redis_prefix);
    free(c->user);
    free(c->group);
    free(c->pidfile);
    free(c->metrics_listen);
    cfg_list_free(c->signatures, c->nsignatures);
    cfg_list_free(c->learn, c->nlearn);
    free(c->learn_route);
    free(c);
}

/* Parse text[0..len) as the configuration file `name`. */
struct cfg *cfg_parse(const char *name, const char *text, size_t len, struct diag *d)
{
    struct cfg_state st;
    unsigned seen[CFG_NOPTIONS];
    struct lines lines;
    const char *line;
    size_t llen;
    char err[CFG_ERR_MAX];
    int rc;

    memset(&st, 0, sizeof(st));
    memset(seen, 0, sizeof(seen));
    st.d = d;
    st.file = name ? name : "(config)";
    st.seen = seen;
    if (len > CFG_FILE_MAX) {
        cfg_error(&st, 0, "file larger than %d bytes", CFG_FILE_MAX);
        return NULL;
    }
    if ((st.c = calloc(1, sizeof(*st.c))) == NULL || (st.c->path = strdup(st.file)) == NULL ||
        (st.c->routes = routes_new()) == NULL ||
        (strchr(st.file, '/') != NULL && (st.dir = cfg_dirname(st.file)) == NULL)) {
        cfg_error(&st, 0, "out of memory");
        goto fail;
    }
    if (cfg_defaults(&st) < 0)
        goto fail;
    lines_init(&lines, text, len, CFG_LINE_MAX);
    while (!st.stop && (rc = lines_next(&lines, &line, &llen, err, sizeof(err))) != 0) {
        st.line = lines.line;
        if (rc < 0)
            cfg_error(&st, st.line, "%s", err);
        else
            cfg_line(&st, line, llen);
    }
    cfg_resolve_default(&st);
    cfg_resolve_learn(&st);
    cfg_check_pairs(&st);
    if (st.errors > 0)
        goto fail;
    free(st.dir);
    return st.c;
fail:
    free(st.dir);
    cfg_free(st.c);
    return NULL;
}

/* Read the file at path, at most CFG_FILE_MAX bytes, and parse it. */
struct cfg *cfg_load(const char *path, struct diag *d)
{
    char *buf = NULL, err[CFG_ERR_MAX];
    size_t n = 0;
    struct cfg *c;

    if (lines_read_file(path, CFG_FILE_MAX, &buf, &n, err, sizeof(err)) < 0) {
        diag_error(d, path, 0, "%s", err);
        return NULL;
    }
    c = cfg_parse(path, buf, n, d);
    free(buf);
    return c;
}

/* The size of the field an option's setter writes; 0 for setters without one plain field. */
static size_t cfg_field_size(const struct cfg_option *o)
{
    if (o->set == cfg_set_string)
        return sizeof(char *);
    if (o->set == cfg_set_duration || o->set == cfg_set_seconds || o->set == cfg_set_uint)
        return sizeof(unsigned);
    if (o->set == cfg_set_size)
        return sizeof(size_t);
    if (o->set == cfg_set_int || o->set == cfg_set_bool || o->set == cfg_set_enum ||
        o->set == cfg_set_facility)
        return sizeof(int);
    if (o->set == cfg_set_mode)
        return sizeof(mode_t);
    return 0;
}

/* Whether option o holds the same value in a and b. */
static int cfg_value_eq(const struct cfg_option *o, const struct cfg *a, const struct cfg *b)
{
    if (o->set == cfg_set_list) {
        char **va = *(char **const *)cfg_cfield(a, o->off);
        char **vb = *(char **const *)cfg_cfield(b, o->off);
        size_t na = *(const size_t *)cfg_cfield(a, o->off_n);
        size_t nb = *(const size_t *)cfg_cfield(b, o->off_n);

        return na == nb && (na == 0 || cfg_list_eq(va, vb, na));
    }
    if (o->set == cfg_set_string) {
        const char *sa = *(char *const *)cfg_cfield(a, o->off);
        const char *sb = *(char *const *)cfg_cfield(b, o->off);

        return (sa == NULL || sb == NULL) ? sa == sb : strcmp(sa, sb) == 0;
    }
    return memcmp(cfg_cfield(a, o->off), cfg_cfield(b, o->off), cfg_field_size(o)) == 0;
}

/* Copy option o's value from src into dst (strings and lists duplicated); 0 or -1. */
static int cfg_value_copy(const struct cfg_option *o, struct cfg *dst, const struct cfg *src)
{
    if (o->set == cfg_set_list) {
        char **from = *(char **const *)cfg_cfield(src, o->off);
        size_t n = *(const size_t *)cfg_cfield(src, o->off_n), i;
        char **v = calloc(n + 1, sizeof(*v));

        if (v == NULL)
            return -1;
        *(char ***)cfg_field(dst, o->off) = v;
        for (i = 0; i < n; i++) {
            if ((v[i] = strdup(from[i])) == NULL)
                return -1; /* the caller frees dst: v holds the copies made so far */
            *(size_t *)cfg_field(dst, o->off_n) = i + 1;
        }
        return 0;
    }
    if (o->set == cfg_set_string) {
        const char *s = *(char *const *)cfg_cfield(src, o->off);

        if (s != NULL && (*(char **)cfg_field(dst, o->off) = strdup(s)) == NULL)
            return -1;
        return 0;
    }
    memcpy(cfg_field(dst, o->off), cfg_cfield(src, o->off), cfg_field_size(o));
    return 0;
}

/* A new cfg holding only c's restart-only settings (see cfg.h). */
struct cfg *cfg_restart_copy(const struct cfg *c)
{
    struct cfg *copy = calloc(1, sizeof(*copy));
    size_t i;

    if (copy == NULL || (copy->path = strdup(c->path)) == NULL)
        goto fail;
    for (i = 0; i < CFG_NOPTIONS; i++) {
        if ((cfg_options[i].flags & CFG_F_RESTART) && cfg_value_copy(&cfg_options[i], copy, c) < 0)
            goto fail;
    }
    return copy;
fail:
    cfg_free(copy);
    return NULL;
}

/* The restart-only settings whose values differ between boot and now (see cfg.h). */
size_t cfg_restart_changed(const struct cfg *boot, const struct cfg *now, const char **names,
                           size_t max)
{
    size_t i, n = 0;

    for (i = 0; i < CFG_NOPTIONS; i++) {
        if ((cfg_options[i].flags & CFG_F_RESTART) && !cfg_value_eq(&cfg_options[i], boot, now)) {
            if (n < max)
                names[n] = cfg_options[i].name;
            n++;
        }
    }
    return n;
}

/* The i-th name of the option table (see cfg.h). */
const char *cfg_option_name(size_t i, int *restart_only)
{
    if (i >= CFG_NOPTIONS)
        return NULL;
    if (restart_only != NULL)
        *restart_only = (cfg_options[i].flags & CFG_F_RESTART) != 0;
    return cfg_options[i].name;
}
