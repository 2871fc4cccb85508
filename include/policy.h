/* policy.h - SMTPD policy delegation request codec (pure: no I/O, pointer and length). */
#ifndef POLICYD_POLICY_H
#define POLICYD_POLICY_H

#include <stddef.h>

#define POLICY_MAX_SIZE 65536 /* whole request, empty line included (SPEC 5.2) */
#define POLICY_MAX_ATTRS 1024 /* attribute lines in one request, repeats included */

/*
 * The attributes policyd uses. Pointers point into the buffer given to
 * policy_decode (borrowed, NOT NUL-terminated); an absent attribute is NULL/0, a
 * present but empty one ("recipient=") is non-NULL with length 0. Values never
 * contain LF, NUL, or the CR of a CRLF line end.
 */
struct policy_request {
    const char *protocol_state;
    size_t protocol_state_len;
    const char *recipient;
    size_t recipient_len;
    const char *request;
    size_t request_len;
    const char *client_address;
    size_t client_address_len;
    const char *sender;
    size_t sender_len;
    const char *queue_id;
    size_t queue_id_len;
    size_t nattrs; /* attribute lines seen, unknown and repeated ones included */
};

/*
 * Decode the request at the start of buf[0..len): "name=value" lines, each ended
 * by LF (a CR before the LF is dropped, so CRLF is accepted), then an empty line.
 * Names are case-sensitive; unknown attributes are ignored; a repeated attribute:
 * the last one counts. Values are taken verbatim (everything after the first '=').
 * An empty line first is a complete request with no attributes (nattrs 0); the
 * caller answers it like any request that is not a routed RCPT (DUNNO).
 * Returns 1 complete (*consumed = bytes up to and including the empty line's LF;
 * bytes after it belong to the next request), 0 need more, or -1 error (*why = a
 * static reason): a line without '=', an empty attribute name, a NUL byte, more
 * than POLICY_MAX_ATTRS attributes, or a request longer than max_size bytes.
 * Errors are reported as soon as the bytes seen prove them: never NEED_MORE once
 * len >= max_size. Pass POLICY_MAX_SIZE as max_size unless testing.
 * Time is O(len) per call. *req is always reset; *consumed is set only on 1.
 */
int policy_decode(const char *buf, size_t len, size_t max_size, struct policy_request *req,
                  size_t *consumed, const char **why);

/* The action answering a request: VERB, then a space and TEXT when TEXT is not empty. */
struct policy_action {
    const char *verb; /* static: "DUNNO", "REJECT", "DEFER", "FILTER", ... */
    const char *text; /* borrowed; may be empty */
    size_t text_len;
};

/*
 * The action for a routed recipient whose route result is r[0..len) (SPEC 5.2):
 * "error:TEXT" -> REJECT TEXT, "retry:TEXT" -> DEFER TEXT (transport names compared
 * without case), a result without a colon or with an empty nexthop ("smtp:") ->
 * DUNNO, any other "transport:nexthop" -> FILTER transport:nexthop. TEXT points
 * into r.
 */
void policy_action_for_result(const char *r, size_t len, struct policy_action *a);

/*
 * Encode "action=VERB[ TEXT]" LF LF into dst, like snprintf: returns the bytes
 * needed and writes only when they fit (no NUL). The text must hold no LF (route
 * results are checked for control characters when they are loaded).
 */
size_t policy_reply_encode(char *dst, size_t dstsize, const struct policy_action *a);

#endif
