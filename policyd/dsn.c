/*
 * dsn.c - Postfix delivery-status keys (SPEC section 8, POSTFIX.md "Delivery status
 * filter"): the key parser, the override pattern learned from an MX host name (public
 * suffix list, libpsl), and the text of the deferring answer. Pure: no I/O after
 * dsn_init has loaded the suffix list.
 *
 * Decisions where the SPEC is silent:
 *  - a key holding a NUL byte is malformed (Postfix never sends one, and the answer
 *    repeats TEXT);
 *  - STATUS is [45].D{1,3}.D{1,3} followed by one space (a success, class 2, is never
 *    learned from, whatever its text says); "host " must follow it; NAME
 *    runs to the first '[' and ADDR to the next ']' (neither may be empty or hold a
 *    blank or a control byte), then exactly "] said: " or "] refused to talk to me: ";
 *  - the reply loses one trailing " (in reply to X command)" (X not empty); an empty
 *    reply makes the key malformed;
 *  - a learned host is at most 253 bytes of labels [a-z0-9_-] (1..63 bytes each, at
 *    least two of them) after lowercasing and dropping one trailing dot; a last label
 *    of digits only is an IP literal (no top-level domain is numeric) and refused, as
 *    is "unknown" (Postfix's name for a host without one);
 *  - the suffix list: whichever of the installed file and libpsl's built-in copy is
 *    newer (psl_latest), the built-in one when that fails; loaded once per process.
 *    A failure is remembered: it is never tried again (a blocking file read) on the
 *    request path, every domain-scope pattern is refused with the first reason.
 */
#include "config.h"

#include <libpsl.h>
#include <stdio.h>
#include <string.h>

#include "dsn.h"
#include "sockmap.h"

#define DSN_HOST_MAX 253
#define DSN_LABEL_MAX 63

static const psl_ctx_t *dsn_psl; /* loaded once, kept for the life of the process */
static char dsn_psl_error[256];  /* why loading failed (not empty: never tried again) */

/* Load the public suffix list once; a failure is remembered and never retried. */
int dsn_init(char *err, size_t errsize)
{
    if (dsn_psl != NULL)
        return 0;
    if (dsn_psl_error[0] == '\0') {
        dsn_psl = psl_latest(NULL);
        if (dsn_psl == NULL)
            dsn_psl = psl_builtin();
        if (dsn_psl != NULL)
            return 0;
        snprintf(dsn_psl_error, sizeof(dsn_psl_error),
                 "cannot load the public suffix list (%s, or libpsl's own)", psl_dist_filename());
    }
    snprintf(err, errsize, "%s", dsn_psl_error);
    return -1;
}

/* Whether s[0..n) starts with the string lit. */
static int dsn_starts(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);

    return n >= l && memcmp(s, lit, l) == 0;
}

/* Length of a run of 1..3 digits at s[0..n), else 0. */
static size_t dsn_digits(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && i < 4 && s[i] >= '0' && s[i] <= '9')
        i++;
    return i >= 1 && i <= 3 ? i : 0;
}

/* Length of the status "C.D.D" at key[0..len) when a space follows it, else 0. */
static size_t dsn_status(const char *key, size_t len)
{
    size_t i, d;

    if (len < 6 || (key[0] != '4' && key[0] != '5') || key[1] != '.')
        return 0;
    i = 2;
    if ((d = dsn_digits(key + i, len - i)) == 0)
        return 0;
    i += d;
    if (i >= len || key[i] != '.')
        return 0;
    i++;
    if ((d = dsn_digits(key + i, len - i)) == 0)
        return 0;
    i += d;
    return i < len && key[i] == ' ' ? i : 0;
}

/* Length of s[0..n) up to the byte stop (not included); 0 when absent or a blank comes first. */
static size_t dsn_field(const char *s, size_t n, char stop)
{
    size_t i;

    for (i = 0; i < n && s[i] != stop; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f || s[i] == '[' ||
            s[i] == ']')
            return 0;
    return i < n ? i : 0;
}

/*
 * The length of reply r[0..n) without one trailing " (in reply to X command)", X not
 * empty (a reply that is nothing but "(in reply to X command)" becomes empty).
 */
static size_t dsn_strip_cmd(const char *r, size_t n)
{
    static const char open[] = "(in reply to ", close[] = " command)";
    size_t ol = sizeof(open) - 1, cl = sizeof(close) - 1, i;

    if (n < ol + 1 + cl || memcmp(r + n - cl, close, cl) != 0)
        return n;
    for (i = n - cl - ol; i-- > 0;) /* the last opening that leaves X at least one byte */
        if (memcmp(r + i, open, ol) == 0 && (i == 0 || r[i - 1] == ' '))
            return i == 0 ? 0 : i - 1;
    return n;
}

/* Parse a dsn key. */
int dsn_key_parse(const char *key, size_t len, struct dsn_key *out)
{
    static const char said[] = "said: ", refused[] = "refused to talk to me: ";
    size_t st, i, n;

    memset(out, 0, sizeof(*out));
    if (key == NULL || (st = dsn_status(key, len)) == 0 || memchr(key, '\0', len) != NULL)
        return -1;
    i = st + 1;
    if (!dsn_starts(key + i, len - i, "host "))
        return -1;
    i += 5;
    if ((n = dsn_field(key + i, len - i, '[')) == 0)
        goto fail;
    out->host = key + i;
    out->host_len = n;
    i += n + 1;
    if ((n = dsn_field(key + i, len - i, ']')) == 0)
        goto fail;
    out->addr = key + i;
    out->addr_len = n;
    i += n + 1;
    if (i < len && key[i] == ' ')
        i++;
    else
        goto fail;
    if (dsn_starts(key + i, len - i, said)) {
        out->kind = DSN_SAID;
        i += sizeof(said) - 1;
    } else if (dsn_starts(key + i, len - i, refused)) {
        out->kind = DSN_REFUSED;
        i += sizeof(refused) - 1;
    } else {
        goto fail;
    }
    out->reply = key + i;
    out->reply_len = dsn_strip_cmd(key + i, len - i);
    if (out->reply_len == 0)
        goto fail;
    out->status = key;
    out->status_len = st;
    out->text = key + st + 1;
    out->text_len = len - st - 1;
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return -1;
}

/* Lowercase host[0..len) into buf (one trailing dot dropped) and check it; its length or 0. */
static size_t dsn_host_name(const char *host, size_t len, char *buf, char *err, size_t errsize)
{
    size_t i, label = 0, labels = 1;
    int numeric = 1;

    if (len > 0 && host[len - 1] == '.')
        len--;
    if (len == 0 || len > DSN_HOST_MAX) {
        snprintf(err, errsize, "not a host name (%s)", len == 0 ? "empty" : "too long");
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = host[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        buf[i] = c;
        if (c == '.') {
            if (label == 0)
                goto empty;
            labels++;
            label = 0;
            numeric = 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            snprintf(err, errsize, "not a host name (byte 0x%02x)", (unsigned char)c);
            return 0;
        }
        if (c < '0' || c > '9')
            numeric = 0;
        if (++label > DSN_LABEL_MAX) {
            snprintf(err, errsize, "not a host name (a label over %d bytes)", DSN_LABEL_MAX);
            return 0;
        }
    }
    if (label == 0)
        goto empty;
    buf[len] = '\0';
    if (numeric) {
        snprintf(err, errsize, "an IP address, not a host name");
        return 0;
    }
    if (labels < 2) {
        snprintf(err, errsize, "not a host name in DNS (a single label)");
        return 0;
    }
    return len;
empty:
    snprintf(err, errsize, "not a host name (an empty label)");
    return 0;
}

/* The override pattern learned from an MX host name. */
int dsn_learn_pattern(const char *host, size_t len, int scope_host, char *out, size_t outsize,
                      char *err, size_t errsize)
{
    char name[DSN_HOST_MAX + 1];
    const char *dom;
    size_t n;
    int w;

    if (host == NULL || (n = dsn_host_name(host, len, name, err, errsize)) == 0)
        return -1;
    if (scope_host) {
        dom = name;
    } else {
        if (dsn_init(err, errsize) < 0)
            return -1;
        dom = psl_registrable_domain(dsn_psl, name);
        if (dom == NULL) {
            snprintf(err, errsize, "%s has no registrable domain (a public suffix?)", name);
            return -1;
        }
    }
    w = snprintf(out, outsize, "mx:%s%s", scope_host ? "" : ".", dom);
    if (w < 0 || (size_t)w >= outsize) {
        snprintf(err, errsize, "pattern longer than %zu bytes", outsize ? outsize - 1 : 0);
        return -1;
    }
    return 0;
}

/* The deferring answer's data, TEXT cut to fit the socketmap reply and buf. */
size_t dsn_defer_text(const struct dsn_key *k, const char *route, const char *pattern, char *buf,
                      size_t size)
{
    char tail[2 * DSN_PATTERN_MAX + 64];
    size_t limit, tlen, text, n;
    int w;

    if (size == 0)
        return 0;
    limit = size - 1;
    if (limit > SOCKMAP_REPLY_MAX - 3)
        limit = SOCKMAP_REPLY_MAX - 3;
    w = snprintf(tail, sizeof(tail), " (policyd: learned route %s for %s; retrying)", route,
                 pattern);
    tlen = w < 0 ? 0 : (size_t)w >= sizeof(tail) ? sizeof(tail) - 1 : (size_t)w;
    /* "4.x.x " + TEXT + tail; TEXT gives way first, then whatever is past the limit */
    n = k->status_len + 1 < limit ? k->status_len + 1 : limit;
    memcpy(buf, k->status, n < k->status_len ? n : k->status_len);
    if (n > 0)
        buf[0] = '4';
    if (n == k->status_len + 1)
        buf[k->status_len] = ' ';
    text = k->text_len;
    if (tlen > limit - n)
        tlen = limit - n;
    if (text > limit - n - tlen)
        text = limit - n - tlen;
    memcpy(buf + n, k->text, text);
    memcpy(buf + n + text, tail, tlen);
    n += text + tlen;
    buf[n] = '\0';
    return n;
}
