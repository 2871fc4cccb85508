/*
 * mxdecide.c - the DNS step of a decision: decide, and when an MX pattern needs the
 * recipient domain's MX, look it up and decide again once it is known.
 *
 * Choices the specification left open:
 *  - The second decision uses the snapshot and the override view as they are when
 *    the answer comes (the snapshot is the one the request started with; overrides
 *    are live data, so a change made meanwhile counts).
 *  - A domain that DNS cannot be asked for (an empty or overlong label) has no MX:
 *    MX patterns do not match it and evaluation goes on; that is not a DNS failure.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "monotime.h"
#include "mxdecide.h"

struct mxdecide {
    struct dns *dns;
    const struct overrides *ov;
};

/* One lookup waiting for DNS. */
struct mxdecide_wait {
    struct mxdecide *m;
    struct snapshot *snap;
    const struct addr *key;
    mxdecide_done done;
    void *arg;
};

/* The step over dns and ov. */
struct mxdecide *mxdecide_new(struct dns *dns, const struct overrides *ov)
{
    struct mxdecide *m = calloc(1, sizeof(*m));

    if (m != NULL) {
        m->dns = dns;
        m->ov = ov;
    }
    return m;
}

/* Free the step; accepts NULL. */
void mxdecide_free(struct mxdecide *m)
{
    free(m);
}

/* Log a key whose domain has no A-label form (it answers "not found"). */
static void mxdecide_log_idn(const struct addr *key, const struct decision *dec)
{
    char dom[4 * 256 + 8];

    log_warn("lookup of a domain without an A-label form answers not found: %s (%s)",
             log_escape(dom, sizeof(dom), key->domain, key->domain_len), dec->idn_error);
}

/* Decide again with the answer a: the selected hosts per mx_match. */
static void mxdecide_with(struct mxdecide *m, struct snapshot *snap, const struct addr *key,
                          const struct dns_answer *a, int cached, struct decision *dec)
{
    struct decide_mx mx;
    uint64_t now = monotime_ms();

    memset(&mx, 0, sizeof(mx));
    mx.failed = dns_answer_failed(a);
    mx.count = dns_answer_hosts(a, snapshot_cfg(snap)->mx_match_any, &mx.hosts);
    mx.status = dns_answer_text(a);
    mx.cached = cached;
    mx.ttl_left = dns_answer_ttl_left(a, now);
    decide_mx(snap, m->ov, key, now, &mx, dec);
}

/* dns_lookup callback: the final decision, handed on. */
static void mxdecide_on_answer(void *arg, const struct dns_answer *a)
{
    struct mxdecide_wait *w = arg;
    struct decision dec;

    mxdecide_with(w->m, w->snap, w->key, a, 0, &dec);
    w->done(w->arg, &dec);
    free(w);
}

/* Decide key; see mxdecide.h. */
int mxdecide_decide(struct mxdecide *m, struct snapshot *snap, const struct addr *key,
                    struct decision *dec, mxdecide_done done, void *arg)
{
    const struct dns_answer *a;
    struct mxdecide_wait *w;
    struct decide_mx none;
    char err[128];
    int rc;

    decide_mx(snap, m->ov, key, monotime_ms(), NULL, dec);
    if (dec->source == DECIDE_SRC_IDN)
        mxdecide_log_idn(key, dec);
    if (dec->answer != DECIDE_NEED_MX)
        return 0;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        dec->answer = DECIDE_ERROR;
        return 0;
    }
    rc = dns_lookup(m->dns, dec->mx_domain, strlen(dec->mx_domain), &a, mxdecide_on_answer, w, NULL,
                    err, sizeof(err));
    if (rc == 0) {
        w->m = m;
        w->snap = snap;
        w->key = key;
        w->done = done;
        w->arg = arg;
        return 1;
    }
    free(w);
    if (rc == 1) {
        mxdecide_with(m, snap, key, a, 1, dec);
        return 0;
    }
    {
        char dom[4 * IDN_DOMAIN_MAX + 8];

        log_debug(1, "MX of %s not asked: %s",
                  log_escape(dom, sizeof(dom), dec->mx_domain, strlen(dec->mx_domain)), err);
    }
    memset(&none, 0, sizeof(none));
    none.status = "not a domain name that DNS can ask for";
    decide_mx(snap, m->ov, key, monotime_ms(), &none, dec);
    return 0;
}
