/* dsn.h - Postfix delivery-status keys (SPEC section 8): parse, learned pattern, deferral text. */
#ifndef POLICYD_DSN_H
#define POLICYD_DSN_H

#include <stddef.h>

/* Longest pattern dsn_learn_pattern writes: "mx:" and a host of at most 253 bytes. */
#define DSN_PATTERN_MAX 260

enum dsn_kind { DSN_SAID, DSN_REFUSED }; /* "host N[A] said:" / "host N[A] refused to talk to me:" */

/* One parsed delivery-status key (all pointers into the caller's key, not NUL-terminated). */
struct dsn_key {
    const char *status;
    size_t status_len; /* "5.7.25": class digit 4/5, then .D{1,3}.D{1,3} */
    const char *text;
    size_t text_len; /* everything after "STATUS " (kept unchanged in answers) */
    const char *host;
    size_t host_len; /* NAME as sent, e.g. "gmail-smtp-in.l.google.com" */
    const char *addr;
    size_t addr_len; /* ADDR inside the brackets, e.g. "127.0.0.1" or "::1" */
    const char *reply;
    size_t reply_len; /* the server's reply: after "said: " / "refused to talk to me: ",
                         without a trailing " (in reply to ... command)" */
    enum dsn_kind kind;
};

/*
 * Load the public suffix list once per process (psl_latest(NULL), falling back to the
 * list built into libpsl). Call at start, before a privilege drop or chroot; 0, or -1
 * with the reason in err. dsn_learn_pattern calls it itself when nobody did. A failure
 * is remembered: later calls return -1 at once with the same reason, loading nothing.
 */
int dsn_init(char *err, size_t errsize);

/*
 * Parse key[0..len) (the socketmap KEY of map dsn). 0, or -1 when it is not of either form
 * (successes, status class 2, are -1 too, whatever their text). Bounded, never reads past len.
 */
int dsn_key_parse(const char *key, size_t len, struct dsn_key *out);

/*
 * The override pattern learned from MX host name host[0..len): scope_host 0 -> "mx:." + the
 * registrable domain (libpsl; "aspmx.l.google.com" -> "mx:.google.com"), 1 -> "mx:" + host.
 * Host lowercased, a trailing dot dropped. 0, or -1 when host is not a DNS host name (an IP
 * literal, "unknown", empty labels, bad characters) or has no registrable domain (reason in err).
 */
int dsn_learn_pattern(const char *host, size_t len, int scope_host, char *out, size_t outsize,
                      char *err, size_t errsize);

/*
 * The data of the deferring answer, like snprintf: "4.x.x TEXT (policyd: learned route NAME for
 * PATTERN; retrying)" — the status's first digit replaced by 4, TEXT = k->text unchanged.
 * The result stays within SOCKMAP_REPLY_MAX - 3 bytes ("OK " + data) by cutting TEXT.
 */
size_t dsn_defer_text(const struct dsn_key *k, const char *route, const char *pattern, char *buf,
                      size_t size);

#endif
