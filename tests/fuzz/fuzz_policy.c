/*
 * fuzz_policy.c - fuzz target for the policy request decoder. Decodes the input
 * as pipelined requests under two size limits and aborts when an invariant
 * breaks: consumed within the input and the limit, every value inside its request
 * right after an '=', no LF or NUL in values, shorter prefixes NEED_MORE,
 * NEED_MORE only below the limit. The input is also taken as a route result: its
 * action (SPEC 5.2) must follow from the transport before the first colon, and the
 * encoded reply must be "action=VERB[ TEXT]" LF LF with the text inside the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless value[0..len) is absent or a well-formed value inside buf[0..end). */
static void fuzz_policy_field(const char *buf, size_t end, const char *value, size_t len)
{
    if (value == NULL) {
        if (len != 0)
            abort();
        return;
    }
    if (value <= buf || value > buf + end || len > end - (size_t)(value - buf))
        abort();
    if (value[-1] != '=' || memchr(value, '\n', len) != NULL || memchr(value, '\0', len) != NULL)
        abort();
}

/* Check one complete request against the bytes it came from. */
static void fuzz_policy_check(const char *buf, size_t len, size_t max,
                              const struct policy_request *r, size_t consumed)
{
    struct policy_request r2;
    const char *why = NULL;
    size_t c2 = 0;

    if (consumed == 0 || consumed > len || consumed > max || buf[consumed - 1] != '\n' ||
        r->nattrs > POLICY_MAX_ATTRS)
        abort();
    fuzz_policy_field(buf, consumed, r->protocol_state, r->protocol_state_len);
    fuzz_policy_field(buf, consumed, r->recipient, r->recipient_len);
    fuzz_policy_field(buf, consumed, r->request, r->request_len);
    fuzz_policy_field(buf, consumed, r->client_address, r->client_address_len);
    fuzz_policy_field(buf, consumed, r->sender, r->sender_len);
    fuzz_policy_field(buf, consumed, r->queue_id, r->queue_id_len);
    if (policy_decode(buf, consumed - 1, max, &r2, &c2, &why) != 0)
        abort();
    if (policy_decode(buf, consumed, max, &r2, &c2, &why) != 1 || c2 != consumed ||
        memcmp(&r2, r, sizeof(r2)) != 0)
        abort();
}

/* Decode buf as pipelined requests until an error or a partial one. */
static void fuzz_policy_stream(const char *buf, size_t len, size_t max)
{
    size_t pos = 0;

    while (pos <= len) {
        struct policy_request r;
        const char *why = NULL;
        size_t consumed = 0;
        int rc = policy_decode(buf + pos, len - pos, max, &r, &consumed, &why);

        if ((rc == -1 && why == NULL) || (rc == 0 && len - pos >= max))
            abort();
        if (rc != 1)
            return;
        fuzz_policy_check(buf + pos, len - pos, max, &r, consumed);
        pos += consumed;
    }
}

/* Check the action for the route result r[0..len) and its encoding. */
static void fuzz_policy_action(const char *r, size_t len)
{
    static char out[POLICY_MAX_SIZE + 64];
    const char *colon = memchr(r, ':', len);
    size_t tlen = colon ? (size_t)(colon - r) : len, vlen, need;
    const char *want = "FILTER";
    struct policy_action a;

    if (colon && tlen == 5 && strncasecmp(r, "error", 5) == 0)
        want = "REJECT";
    else if (colon && tlen == 5 && strncasecmp(r, "retry", 5) == 0)
        want = "DEFER";
    else if (colon == NULL || tlen + 1 == len)
        want = "DUNNO";
    policy_action_for_result(r, len, &a);
    if (strcmp(a.verb, want) != 0)
        abort();
    if (strcmp(want, "FILTER") == 0  ? a.text != r || a.text_len != len
        : strcmp(want, "DUNNO") == 0 ? a.text_len != 0
                                     : a.text != colon + 1 || a.text_len != len - tlen - 1)
        abort();
    vlen = strlen(a.verb);
    need = policy_reply_encode(NULL, 0, &a);
    if (need != 7 + vlen + (a.text_len ? a.text_len + 1 : 0) + 2 || need > sizeof(out) ||
        policy_reply_encode(out, sizeof(out), &a) != need)
        abort();
    if (memcmp(out, "action=", 7) != 0 || memcmp(out + 7, a.verb, vlen) != 0 ||
        memcmp(out + need - 2, "\n\n", 2) != 0 ||
        (a.text_len && (out[7 + vlen] != ' ' || memcmp(out + 8 + vlen, a.text, a.text_len) != 0)))
        abort();
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size <= POLICY_MAX_SIZE)
        fuzz_policy_action((const char *)data, size);
    fuzz_policy_stream((const char *)data, size, POLICY_MAX_SIZE);
    fuzz_policy_stream((const char *)data, size, 64);
    return 0;
}
