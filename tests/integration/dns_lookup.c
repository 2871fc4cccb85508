/*
 * dns_lookup.c - drive the resolver (dns.c) without the daemon, for the integration tests.
 *
 *   dns_lookup -r RESOLVER [-t TIMEOUT_MS] [-m MIN_TTL] [-M MAX_TTL] [-e ERROR_TTL]
 *              [-c CACHE_SIZE] [-d TRUST_ANCHOR_FILE]
 *
 * Answers one command line from stdin at a time, after running the event loop until
 * every lookup the command started has its answer:
 *   lookup DOMAIN [N]   N (default 1) concurrent lookups; one line per lookup, in order:
 *                       "hit|fresh STATUS [HOST...] ttl=SECONDS" (lowest-preference hosts)
 *   any DOMAIN          the same for one lookup, all hosts in preference order
 *   cancel DOMAIN       two lookups, the first cancelled at once: prints the second's line
 *                       (a callback of the cancelled one aborts the program)
 *   stats               "lookups=L hits=H shared=S queries=Q entries=E evictions=V pending=P"
 *   quit                free the resolver and exit 0
 * A lookup refused by dns_lookup prints "error MESSAGE". Log lines go to stderr.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns.h"
#include "log.h"
#include "monotime.h"

#define LOOKUP_MAX 1000

/* One lookup of a command and, once answered, its line. */
struct lookup_slot {
    int done, cancelled;
    char line[2048];
};

static struct event_base *lookup_base;
static struct lookup_slot lookup_slots[LOOKUP_MAX];
static int lookup_waiting;
static int lookup_any;

/* Write an answer's line into slot. */
static void lookup_describe(struct lookup_slot *s, const struct dns_answer *a, int cached)
{
    const char *const *hosts;
    size_t n = dns_answer_hosts(a, lookup_any, &hosts), i, o;

    o = (size_t)snprintf(s->line, sizeof(s->line), "%s %s", cached ? "hit" : "fresh",
                         dns_status_name(dns_answer_status(a)));
    for (i = 0; i < n && o < sizeof(s->line); i++)
        o += (size_t)snprintf(s->line + o, sizeof(s->line) - o, " %s", hosts[i]);
    if (o < sizeof(s->line))
        snprintf(s->line + o, sizeof(s->line) - o, " ttl=%u",
                 dns_answer_ttl_left(a, monotime_ms()));
    s->done = 1;
}

/* dns_lookup callback. */
static void lookup_on_answer(void *arg, const struct dns_answer *a)
{
    struct lookup_slot *s = arg;

    if (s->cancelled || s->done)
        abort();
    lookup_describe(s, a, 0);
    lookup_waiting--;
}

/* Start n lookups of domain (the first cancelled when cancel_first), wait, print. */
static void lookup_run(struct dns *d, const char *domain, int n, int cancel_first)
{
    int i;

    lookup_waiting = 0;
    for (i = 0; i < n; i++) {
        struct lookup_slot *s = &lookup_slots[i];
        const struct dns_answer *a;
        struct dns_wait *w;
        char err[256];
        int rc;

        memset(s, 0, sizeof(*s));
        rc = dns_lookup(d, domain, strlen(domain), &a, lookup_on_answer, s, &w, err, sizeof(err));
        if (rc == 1) {
            lookup_describe(s, a, 1);
        } else if (rc < 0) {
            snprintf(s->line, sizeof(s->line), "error %s", err);
            s->done = 1;
        } else if (i == 0 && cancel_first) {
            dns_cancel(w);
            s->cancelled = 1;
        } else {
            lookup_waiting++;
        }
    }
    while (lookup_waiting > 0)
        event_base_loop(lookup_base, EVLOOP_ONCE);
    for (i = cancel_first ? 1 : 0; i < n; i++)
        printf("%s\n", lookup_slots[i].line);
}

/* Run one command line. Returns 1 to quit. */
static int lookup_command(struct dns *d, char *cmd)
{
    char domain[512];
    int n = 1;

    lookup_any = 0;
    if (sscanf(cmd, "lookup %511s %d", domain, &n) >= 1 && n >= 1 && n <= LOOKUP_MAX) {
        lookup_run(d, domain, n, 0);
    } else if (sscanf(cmd, "any %511s", domain) == 1) {
        lookup_any = 1;
        lookup_run(d, domain, 1, 0);
    } else if (sscanf(cmd, "cancel %511s", domain) == 1) {
        lookup_run(d, domain, 2, 1);
    } else if (strcmp(cmd, "stats") == 0) {
        struct dns_stats st;

        dns_stats(d, &st);
        printf("lookups=%llu hits=%llu shared=%llu queries=%llu entries=%zu evictions=%llu "
               "pending=%zu\n",
               (unsigned long long)st.lookups, (unsigned long long)st.hits,
               (unsigned long long)st.shared, (unsigned long long)st.queries, st.entries,
               (unsigned long long)st.evictions, st.pending);
    } else if (strcmp(cmd, "quit") == 0) {
        return 1;
    } else {
        printf("error unknown command\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct dns_options o = {"system", 2000, 0, 3600, 5, 100000, 0, NULL};
    struct dns *d;
    char line[1024], err[512];
    int c;

    while ((c = getopt(argc, argv, "r:t:m:M:e:c:d:")) != -1) {
        switch (c) {
        case 'r':
            o.resolver = optarg;
            break;
        case 't':
            o.timeout_ms = (unsigned)atoi(optarg);
            break;
        case 'm':
            o.min_ttl = (unsigned)atoi(optarg);
            break;
        case 'M':
            o.max_ttl = (unsigned)atoi(optarg);
            break;
        case 'e':
            o.error_ttl = (unsigned)atoi(optarg);
            break;
        case 'c':
            o.cache_size = (size_t)atol(optarg);
            break;
        case 'd':
            o.dnssec = 1;
            o.trust_anchor = optarg;
            break;
        default:
            fprintf(stderr, "usage: dns_lookup -r RESOLVER [options]\n");
            return 2;
        }
    }
    log_open(LOG_TARGET_STDERR, 0);
    lookup_base = event_base_new();
    if (lookup_base == NULL)
        return 1;
    d = dns_new(lookup_base, &o, err, sizeof(err));
    if (d == NULL) {
        fprintf(stderr, "dns_lookup: %s\n", err);
        event_base_free(lookup_base);
        return 1;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (lookup_command(d, line))
            break;
        fflush(stdout);
    }
    dns_free(d);
    event_base_free(lookup_base);
    return 0;
}
