/* test_policy.c - policy delegation request codec: fields, splits, CRLF, limits, pipelining. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

/* A request as Postfix 3.7 sends it at RCPT time (abridged to the usual attributes). */
static const char rcpt_request[] = "request=smtpd_access_policy\n"
                                   "protocol_state=RCPT\n"
                                   "protocol_name=ESMTP\n"
                                   "client_address=192.0.2.1\n"
                                   "client_name=mail.example.org\n"
                                   "helo_name=mail.example.org\n"
                                   "sender=alice@example.org\n"
                                   "recipient=Bob+Tag@AOL.com\n"
                                   "recipient_count=0\n"
                                   "queue_id=\n"
                                   "instance=1a2b.5f1e3c4d.8e9f.0\n"
                                   "size=1234\n"
                                   "\n";

/* One decode case with the fields the codec must report (NULL = absent). */
struct policy_case {
    const char *name;
    const char *in;
    size_t in_len;
    int rc;
    size_t consumed;
    size_t nattrs;
    const char *protocol_state;
    const char *recipient;
    const char *request;
    const char *client_address;
    const char *sender;
    const char *queue_id;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct policy_case policy_cases[] = {
    {"postfix rcpt", S(rcpt_request), 1, sizeof(rcpt_request) - 1, 12, "RCPT", "Bob+Tag@AOL.com",
     "smtpd_access_policy", "192.0.2.1", "alice@example.org", ""},
    {"crlf", S("protocol_state=RCPT\r\nrecipient=a@b\r\n\r\n"), 1, 38, 2, "RCPT", "a@b", NULL, NULL,
     NULL, NULL},
    {"mixed lf and crlf", S("protocol_state=RCPT\nrecipient=a@b\r\n\n"), 1, 36, 2, "RCPT", "a@b",
     NULL, NULL, NULL, NULL},
    {"repeated: last counts", S("recipient=first@x\nrecipient=second@x\n\n"), 1, 38, 2, NULL,
     "second@x", NULL, NULL, NULL, NULL},
    {"repeated: empty last", S("recipient=a@x\nrecipient=\n\n"), 1, 26, 2, NULL, "", NULL, NULL,
     NULL, NULL},
    {"value with '=' and spaces", S("sender=a=b c@x\n\n"), 1, 16, 1, NULL, NULL, NULL, NULL,
     "a=b c@x", NULL},
    {"value with inner CR", S("sender=a\rb\n\n"), 1, 12, 1, NULL, NULL, NULL, NULL, "a\rb", NULL},
    {"names are case-sensitive", S("Recipient=a@x\n\n"), 1, 15, 1, NULL, NULL, NULL, NULL, NULL,
     NULL},
    {"unknown only", S("foo=bar\n\n"), 1, 9, 1, NULL, NULL, NULL, NULL, NULL, NULL},
    {"empty line first: empty request", S("\nrecipient=a@x\n\n"), 1, 1, 0, NULL, NULL, NULL, NULL,
     NULL, NULL},
    {"crlf empty line first", S("\r\n"), 1, 2, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"trailing bytes are the next request", S("recipient=a@x\n\nrecipient=b@x\n"), 1, 15, 1, NULL,
     "a@x", NULL, NULL, NULL, NULL},
    {"empty buffer", S(""), 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"no empty line yet", S("recipient=a@x\n"), 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"lone CR", S("recipient=a@x\n\r"), 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"line without '='", S("recipient\n\n"), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"CR-only line", S("\r\r\n\n"), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"empty name", S("=x\n\n"), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"empty name, partial", S("="), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"NUL in value", S("recipient=a\0b\n\n"), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"NUL, partial line", S("recip\0"), -1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"NUL after the empty line is not ours", S("a=b\n\n\0"), 1, 5, 1, NULL, NULL, NULL, NULL, NULL,
     NULL},
};

/* Compare one optional field. */
static void policy_check_field(const char *got, size_t got_len, const char *want, const char *field,
                               const char *name)
{
    char label[160];

    snprintf(label, sizeof(label), "%s: %s", name, field);
    if (want == NULL)
        ok(got == NULL && got_len == 0, "%s absent", label);
    else
        is_mem(got, got_len, want, label);
}

/* Run the table on the whole input at once. */
static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
        const struct policy_case *c = &policy_cases[i];
        struct policy_request r;
        const char *why = NULL;
        size_t consumed = 0;
        char label[160];
        int rc = policy_decode(c->in, c->in_len, POLICY_MAX_SIZE, &r, &consumed, &why);

        snprintf(label, sizeof(label), "%s: status", c->name);
        is_int(rc, c->rc, label);
        if (c->rc < 0)
            ok(why != NULL && why[0] != '\0', "%s: reason (%s)", c->name, why ? why : "none");
        if (c->rc != 1)
            continue;
        snprintf(label, sizeof(label), "%s: consumed", c->name);
        is_int((long long)consumed, (long long)c->consumed, label);
        snprintf(label, sizeof(label), "%s: nattrs", c->name);
        is_int((long long)r.nattrs, (long long)c->nattrs, label);
        policy_check_field(r.protocol_state, r.protocol_state_len, c->protocol_state,
                           "protocol_state", c->name);
        policy_check_field(r.recipient, r.recipient_len, c->recipient, "recipient", c->name);
        policy_check_field(r.request, r.request_len, c->request, "request", c->name);
        policy_check_field(r.client_address, r.client_address_len, c->client_address,
                           "client_address", c->name);
        policy_check_field(r.sender, r.sender_len, c->sender, "sender", c->name);
        policy_check_field(r.queue_id, r.queue_id_len, c->queue_id, "queue_id", c->name);
    }
}

/*
 * A request split across reads at any byte: what has arrived so far is NEED_MORE
 * (never complete early, never an error); the whole, once arrived, is test_table's.
 */
static void test_splits(void)
{
    size_t i, n;

    for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
        const struct policy_case *c = &policy_cases[i];
        int bad = 0;

        if (c->rc != 1)
            continue;
        for (n = 0; n < c->consumed; n++) {
            struct policy_request r;
            const char *why = NULL;
            size_t consumed = 0;
            /* Copy the prefix so a read past it would be caught by ASan. */
            char *part = malloc(n ? n : 1);

            memcpy(part, c->in, n);
            if (policy_decode(part, n, POLICY_MAX_SIZE, &r, &consumed, &why) != 0)
                bad++;
            free(part);
        }
        ok(bad == 0, "%s: every split is NEED_MORE (%d wrong)", c->name, bad);
    }
}

/* Three pipelined requests in one buffer come out one after the other. */
static void test_pipelined(void)
{
    static const char in[] = "protocol_state=RCPT\nrecipient=a@x\n\n"
                             "protocol_state=RCPT\r\nrecipient=b@x\r\n\r\n"
                             "\n"
                             "protocol_state=DATA\nrecip";
    static const char *const want[] = {"a@x", "b@x", NULL};
    const char *p = in, *why = NULL;
    size_t left = sizeof(in) - 1, consumed = 0, i;
    struct policy_request r;

    for (i = 0; i < 3; i++) {
        is_int(policy_decode(p, left, POLICY_MAX_SIZE, &r, &consumed, &why), 1,
               "pipelined: complete");
        policy_check_field(r.recipient, r.recipient_len, want[i], "recipient", "pipelined");
        ok(r.recipient == NULL || (r.recipient >= p && r.recipient < p + consumed),
           "pipelined: value inside its own request");
        p += consumed;
        left -= consumed;
    }
    is_int(policy_decode(p, left, POLICY_MAX_SIZE, &r, &consumed, &why), 0,
           "pipelined: partial fourth is NEED_MORE");
}

/* Fill buf with "a=xxx...\n" so that the request is exactly total bytes (with "\n"). */
static void policy_make(char *buf, size_t total)
{
    buf[0] = 'a';
    buf[1] = '=';
    memset(buf + 2, 'x', total - 4);
    buf[total - 2] = '\n';
    buf[total - 1] = '\n';
}

/* Size limit: exactly max is fine, max + 1 is an error, on partial buffers too. */
static void test_size_limit(void)
{
    static char big[POLICY_MAX_SIZE + 2];
    struct policy_request r;
    const char *why = NULL;
    size_t consumed = 0, max = POLICY_MAX_SIZE;

    policy_make(big, max);
    is_int(policy_decode(big, max, max, &r, &consumed, &why), 1, "size: exactly max is complete");
    is_int((long long)consumed, (long long)max, "size: consumed all of it");
    is_int(policy_decode(big, max - 1, max, &r, &consumed, &why), 0,
           "size: max - 1 bytes of it is NEED_MORE");
    policy_make(big, max + 1);
    is_int(policy_decode(big, max + 1, max, &r, &consumed, &why), -1, "size: max + 1 is an error");
    is_int(policy_decode(big, max, max, &r, &consumed, &why), -1,
           "size: a max-byte prefix without the end is an error already");
    is_int(policy_decode(big, max - 1, max, &r, &consumed, &why), 0,
           "size: max - 1 bytes of it is still NEED_MORE");
    is_int(policy_decode("a=b\n", 4, 4, &r, &consumed, &why), -1,
           "size: small max, unterminated at max bytes");
    is_int(policy_decode("a=b\n\n", 5, 4, &r, &consumed, &why), -1,
           "size: small max, request one over");
    is_int(policy_decode("", 0, 0, &r, &consumed, &why), -1, "size: max 0 refuses everything");
}

/* Attribute count limit: POLICY_MAX_ATTRS lines are fine, one more is an error. */
static void test_attr_limit(void)
{
    static char buf[(POLICY_MAX_ATTRS + 1) * 4 + 1];
    struct policy_request r;
    const char *why = NULL;
    size_t consumed = 0, i, n = 0;

    for (i = 0; i < POLICY_MAX_ATTRS; i++) {
        memcpy(buf + n, "a=b\n", 4);
        n += 4;
    }
    buf[n] = '\n';
    is_int(policy_decode(buf, n + 1, POLICY_MAX_SIZE, &r, &consumed, &why), 1,
           "attrs: POLICY_MAX_ATTRS attributes are fine");
    is_int((long long)r.nattrs, POLICY_MAX_ATTRS, "attrs: all counted");
    memcpy(buf + n, "a=b\n", 4);
    n += 4;
    is_int(policy_decode(buf, n, POLICY_MAX_SIZE, &r, &consumed, &why), -1,
           "attrs: one more is an error before the empty line");
}

/* One route result and the exact reply it must give (SPEC 5.2). */
struct action_case {
    const char *result;
    const char *reply;
};

static const struct action_case action_cases[] = {
    {"smtp:[relay.example]:587", "action=FILTER smtp:[relay.example]:587\n\n"},
    {"relay:relay.example", "action=FILTER relay:relay.example\n\n"},
    {"smtp:", "action=DUNNO\n\n"},
    {"relay:", "action=DUNNO\n\n"},
    {"DUNNO", "action=DUNNO\n\n"},
    {"error:5.7.1 no mail for you", "action=REJECT 5.7.1 no mail for you\n\n"},
    {"ERROR:5.7.1 upper case", "action=REJECT 5.7.1 upper case\n\n"},
    {"error:", "action=REJECT\n\n"},
    {"retry:4.4.0 later", "action=DEFER 4.4.0 later\n\n"},
    {"Retry:", "action=DEFER\n\n"},
    {"errors:x", "action=FILTER errors:x\n\n"},
    {"retr:x", "action=FILTER retr:x\n\n"},
    /* No colon: no transport at all. "error" once read 6 bytes into a 5-byte result. */
    {"error", "action=DUNNO\n\n"},
    {"retry", "action=DUNNO\n\n"},
    {"", "action=DUNNO\n\n"},
    {"e", "action=DUNNO\n\n"},
};

/* The action table, through the encoder, with exact bytes and sizes. */
static void test_action_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
        const struct action_case *c = &action_cases[i];
        size_t len = strlen(c->result), want = strlen(c->reply), need;
        struct policy_action a;
        char name[128], *r = malloc(len ? len : 1), out[128];

        /* An exact-size heap copy, so a read past the result is a sanitizer report. */
        memcpy(r, c->result, len);
        policy_action_for_result(r, len, &a);
        memset(out, '#', sizeof(out));
        need = policy_reply_encode(out, sizeof(out), &a);
        snprintf(name, sizeof(name), "action for \"%s\"", c->result);
        is_mem(out, need, c->reply, name);
        ok(out[need] == '#', "%s: nothing written past the reply", name);
        ok(a.text_len == 0 || (a.text >= r && a.text + a.text_len <= r + len),
           "%s: text inside the result", name);
        is_int((long long)policy_reply_encode(NULL, 0, &a), (long long)want,
               "encode: size query with NULL, 0");
        memset(out, '#', sizeof(out));
        ok(policy_reply_encode(out, want - 1, &a) == want && out[0] == '#',
           "%s: nothing written when one byte short", name);
        free(r);
    }
}

int main(void)
{
    test_action_table();
    test_table();
    test_splits();
    test_pipelined();
    test_size_limit();
    test_attr_limit();
    return done_testing();
}
