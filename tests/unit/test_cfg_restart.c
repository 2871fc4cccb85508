/*
 * test_cfg_restart.c - restart-only settings come from one place, the option table:
 * a reload compares with a copy of the values started with, every restart-only
 * setting is compared, reloadable ones never are, and the lists in the man page
 * and README are exactly the table's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "diag.h"
#include "tap.h"

#define TEST_NAMES_MAX 64

/* A configuration that changes some settings, and the restart-only names it changes. */
struct test_change {
    const char *text;
    const char
        *changed; /* the names cfg_restart_changed reports, space-separated, in table order */
};

/* Against an empty file (all defaults). One entry per restart-only setting at least. */
static const struct test_change test_changes[] = {
    {"listen = inet:127.0.0.1:1\n", "listen"},
    {"listen = inet:127.0.0.1:10027, unix:/run/p.sock\n", "listen"},
    {"unix_mode = 0600\n", "unix_mode"},
    {"unix_owner = nobody\n", "unix_owner"},
    {"unix_group = nogroup\n", "unix_group"},
    {"redis = tcp:127.0.0.1:6379\n", "redis"},
    {"redis_db = 3\n", "redis_db"},
    {"redis_username = u\nredis_password_file = /etc/pw\n", "redis_username redis_password_file"},
    {"redis_password_file = /etc/pw\n", "redis_password_file"},
    {"redis_prefix = other:\n", "redis_prefix"},
    {"redis_timeout = 501ms\n", "redis_timeout"},
    {"idle_timeout = 301s\n", "idle_timeout"},
    {"request_timeout = 11s\n", "request_timeout"},
    {"user = nobody\n", "user"},
    {"group = nogroup\n", "group"},
    {"pidfile = /run/other.pid\n", "pidfile"},
    {"log_target = stderr\n", "log_target"},
    {"log_facility = local3\n", "log_facility"},
    {"metrics_listen = inet:127.0.0.1:9127\n", "metrics_listen"},
    {"dns_resolver = 127.0.0.1@5353\n", "dns_resolver"},
    {"dns_timeout = 1s\n", "dns_timeout"},
    {"dns_min_ttl = 1s\n", "dns_min_ttl"},
    {"dns_max_ttl = 2h\n", "dns_max_ttl"},
    {"dns_error_ttl = 1s\n", "dns_error_ttl"},
    {"dns_cache_size = 10\n", "dns_cache_size"},
    {"dnssec = yes\n", "dnssec"},
    {"dnssec_trust_anchor = /etc/root.key\n", "dnssec_trust_anchor"},
    /* reloadable settings are never reported */
    {"allow = 10.0.0.0/8\nmax_connections = 7\nmax_request_size = 100\nlog_lookups = yes\n"
     "rules = /x/*.rules\nroute.a = smtp:[h]\ndefault_route = a\nredis_unavailable = rules\n"
     "mx_match = any\n",
     ""},
    /* the same values as the defaults, written out: nothing changed */
    {"listen = inet:127.0.0.1:10027\nunix_mode = 660\nredis_prefix = policyd:\n"
     "idle_timeout = 5m\nlog_target = SYSLOG\nlog_facility = mail\nredis_db = 0\n",
     ""},
    /* several at once, in table order */
    {"pidfile = /run/x.pid\nlisten = unix:/run/x.sock\nuser = x\n", "listen user pidfile"},
};

/* Parse text as a file named t.conf; NULL (and a diagnostic) on errors. */
static struct cfg *test_parse(const char *text)
{
    struct diag *d = diag_new();
    struct cfg *c = cfg_parse("/etc/policyd/t.conf", text, strlen(text), d);

    if (c == NULL)
        diag_print(d, stdout);
    diag_free(d);
    return c;
}

/* The changed names of boot vs now, space-separated, into buf. */
static const char *test_changed(const struct cfg *boot, const struct cfg *now, char *buf,
                                size_t size)
{
    const char *names[TEST_NAMES_MAX];
    size_t n = cfg_restart_changed(boot, now, names, TEST_NAMES_MAX), i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < n && i < TEST_NAMES_MAX && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", names[i]);
    return buf;
}

/* Whether name is restart-only in the option table (-1: not in the table). */
static int test_table_restart(const char *name)
{
    const char *o;
    int restart;
    size_t i;

    for (i = 0; (o = cfg_option_name(i, &restart)) != NULL; i++)
        if (strcmp(o, name) == 0)
            return restart;
    return -1;
}

/* Every change is found against a copy of the defaults, and against the original too. */
static void test_compare(void)
{
    struct cfg *def = test_parse(""), *boot = def ? cfg_restart_copy(def) : NULL;
    char buf[512];
    size_t i;

    ok(boot != NULL, "a copy of the restart-only settings of the defaults");
    if (boot == NULL)
        goto out;
    is_str(test_changed(boot, def, buf, sizeof(buf)), "", "the copy equals what it was made from");
    for (i = 0; i < sizeof(test_changes) / sizeof(test_changes[0]); i++) {
        struct cfg *now = test_parse(test_changes[i].text);
        struct cfg *copy = now ? cfg_restart_copy(now) : NULL;
        char name[256];

        snprintf(name, sizeof(name), "changed vs the start: %s", test_changes[i].text);
        is_str(now ? test_changed(boot, now, buf, sizeof(buf)) : "(parse error)",
               test_changes[i].changed, name);
        snprintf(name, sizeof(name), "the same the other way round: %s", test_changes[i].text);
        is_str(copy ? test_changed(copy, def, buf, sizeof(buf)) : "(no copy)",
               test_changes[i].changed, name);
        snprintf(name, sizeof(name), "a copy compares equal to its source: %s",
                 test_changes[i].text);
        is_str(copy ? test_changed(copy, now, buf, sizeof(buf)) : "(no copy)", "", name);
        cfg_free(copy);
        cfg_free(now);
    }
out:
    cfg_free(boot);
    cfg_free(def);
}

/* Every restart-only setting of the table has a test above that changes it. */
static void test_covered(void)
{
    const char *o;
    int restart;
    size_t i, j;

    for (i = 0; (o = cfg_option_name(i, &restart)) != NULL; i++) {
        int found = 0;

        if (!restart)
            continue;
        for (j = 0; j < sizeof(test_changes) / sizeof(test_changes[0]); j++) {
            const char *c = test_changes[j].changed;
            size_t len = strlen(o);

            if (strncmp(c, o, len) == 0 && (c[len] == '\0' || c[len] == ' '))
                found = 1;
        }
        ok(found, "restart-only %s: a test changes it first", o);
    }
}

/* Read the whole file top_srcdir/rel into a new string, or NULL. */
static char *test_read(const char *rel)
{
    char path[4096];
    FILE *f;
    char *buf;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, rel);
    if ((f = fopen(path, "r")) == NULL || (buf = malloc(1 << 20)) == NULL) {
        if (f)
            fclose(f);
        return NULL;
    }
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/*
 * The words of text between the markers begin and end that are option names (any
 * other word is prose); checked against the table both ways.
 */
static void test_doc(const char *rel, const char *begin, const char *end)
{
    char *text = test_read(rel), *from, *to, *p;
    char seen[TEST_NAMES_MAX] = {0};
    const char *o;
    int restart;
    size_t i, words = 0;

    from = text ? strstr(text, begin) : NULL;
    to = from ? strstr(from, end) : NULL;
    ok(to != NULL, "%s: the restart-only list is marked (%s ... %s)", rel, begin, end);
    if (to == NULL)
        goto out;
    *to = '\0';
    for (p = from + strlen(begin); *p != '\0';) {
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
        char word[64];
        int r;

        if (len == 0 || (p > text && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ\\", p[-1]) != NULL)) {
            p += len ? len : 1;
            continue;
        }
        snprintf(word, sizeof(word), "%.*s", (int)len, p);
        p += len;
        r = test_table_restart(word);
        if (r < 0)
            continue; /* prose */
        words++;
        ok(r == 1, "%s: %s is listed as restart-only and is so in the table", rel, word);
        for (i = 0; (o = cfg_option_name(i, NULL)) != NULL && i < TEST_NAMES_MAX; i++)
            if (strcmp(o, word) == 0)
                seen[i] = 1;
    }
    ok(words > 0, "%s: the list names settings", rel);
    for (i = 0; (o = cfg_option_name(i, &restart)) != NULL && i < TEST_NAMES_MAX; i++)
        if (restart)
            ok(seen[i], "%s: restart-only %s is listed", rel, o);
out:
    free(text);
}

int main(void)
{
    test_compare();
    test_covered();
    test_doc("man/policyd.conf.5.in", ".\\\" restart-only: begin", ".\\\" restart-only: end");
    test_doc("README.md", "<!-- restart-only -->", "<!-- /restart-only -->");
    return done_testing();
}
