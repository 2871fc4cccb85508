/* policy.c - SMTPD policy delegation request codec (pure: no I/O, pointer and length). */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "policy.h"

/* Does name[0..len) equal the literal lit? */
static int policy_name_is(const char *name, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(name, lit, len) == 0;
}

/* Point one request field at a value when name is the field's name; returns 1 if it was. */
static int policy_set(const char *name, size_t name_len, const char *field, const char *value,
                      size_t value_len, const char **ptr, size_t *len)
{
    if (!policy_name_is(name, name_len, field))
        return 0;
    *ptr = value; /* a repeated attribute: the last one counts */
    *len = value_len;
    return 1;
}

/* Remember the value of an attribute policyd uses; others are ignored. */
static void policy_store(struct policy_request *r, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    (void)(policy_set(name, name_len, "protocol_state", value, value_len, &r->protocol_state,
                      &r->protocol_state_len) ||
           policy_set(name, name_len, "recipient", value, value_len, &r->recipient,
                      &r->recipient_len) ||
           policy_set(name, name_len, "request", value, value_len, &r->request, &r->request_len) ||
           policy_set(name, name_len, "client_address", value, value_len, &r->client_address,
                      &r->client_address_len) ||
           policy_set(name, name_len, "sender", value, value_len, &r->sender, &r->sender_len) ||
           policy_set(name, name_len, "queue_id", value, value_len, &r->queue_id,
                      &r->queue_id_len));
}

/*
 * Check one line (without its LF and CR) and store it. A line still arriving
 * (complete = 0) is checked as far as its bytes go, so errors show up early.
 */
static int policy_line(struct policy_request *req, const char *line, size_t len, int complete,
                       const char **why)
{
    const char *eq;

    if (memchr(line, '\0', len) != NULL) {
        *why = "policy: NUL byte in request";
        return -1;
    }
    if (len > 0 && line[0] == '=') {
        *why = "policy: empty attribute name";
        return -1;
    }
    if (!complete)
        return 0;
    eq = memchr(line, '=', len);
    if (eq == NULL) {
        *why = "policy: line without '='";
        return -1;
    }
    if (++req->nattrs > POLICY_MAX_ATTRS) {
        *why = "policy: too many attributes";
        return -1;
    }
    policy_store(req, line, (size_t)(eq - line), eq + 1, len - (size_t)(eq - line) - 1);
    return 0;
}

/* Decode one request at the start of buf; see policy.h. */
int policy_decode(const char *buf, size_t len, size_t max_size, struct policy_request *req,
                  size_t *consumed, const char **why)
{
    size_t scan = len < max_size ? len : max_size;
    size_t pos = 0;

    memset(req, 0, sizeof(*req));
    while (pos < scan) {
        const char *lf = memchr(buf + pos, '\n', scan - pos);
        size_t end = lf ? (size_t)(lf - buf) : scan;
        size_t line_len = end - pos;

        if (lf != NULL && line_len > 0 && buf[end - 1] == '\r')
            line_len--;
        if (lf != NULL && line_len == 0) {
            *consumed = end + 1;
            return 1;
        }
        if (policy_line(req, buf + pos, line_len, lf != NULL, why) < 0)
            return -1;
        if (lf == NULL)
            break;
        pos = end + 1;
    }
    if (len >= max_size) {
        *why = "policy: request too large";
        return -1;
    }
    memset(req, 0, sizeof(*req));
    return 0;
}

/*
 * The action for a route result (SPEC 5.2); see policy.h. error: and retry: are
 * told apart only once the colon is known to be there ("error:" alone is REJECT
 * with no text; "error" without a colon is no transport at all: DUNNO).
 */
void policy_action_for_result(const char *r, size_t len, struct policy_action *a)
{
    const char *colon = memchr(r, ':', len);
    size_t tlen = colon ? (size_t)(colon - r) : len;

    a->verb = NULL;
    if (colon != NULL && tlen == 5 && strncasecmp(r, "error", 5) == 0)
        a->verb = "REJECT";
    else if (colon != NULL && tlen == 5 && strncasecmp(r, "retry", 5) == 0)
        a->verb = "DEFER";
    if (a->verb != NULL) {
        a->text = colon + 1;
        a->text_len = len - tlen - 1;
    } else if (colon == NULL || tlen + 1 == len) {
        a->verb = "DUNNO"; /* empty nexthop: the normal way */
        a->text = "";
        a->text_len = 0;
    } else {
        a->verb = "FILTER";
        a->text = r;
        a->text_len = len;
    }
}

/* Encode "action=VERB[ TEXT]" LF LF; see policy.h. */
size_t policy_reply_encode(char *dst, size_t dstsize, const struct policy_action *a)
{
    size_t vlen = strlen(a->verb);
    size_t need = 7 + vlen + (a->text_len > 0 ? 1 + a->text_len : 0) + 2;
    char *p = dst;

    if (need > dstsize)
        return need;
    memcpy(p, "action=", 7);
    memcpy(p += 7, a->verb, vlen);
    p += vlen;
    if (a->text_len > 0) {
        *p++ = ' ';
        memcpy(p, a->text, a->text_len);
        p += a->text_len;
    }
    memcpy(p, "\n\n", 2);
    return need;
}
