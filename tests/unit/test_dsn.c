/*
 * test_dsn.c - delivery-status keys: both forms Postfix sends (the exact sample of
 * POSTFIX.md included), successes and malformed keys refused, the reply without its
 * "(in reply to ... command)"; the learned pattern from MX host names (libpsl); the
 * deferring answer's text and its bound.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "sockmap.h"
#include "tap.h"

/* The key POSTFIX.md shows Postfix 3.7 sending (after "dsn "), one line. */
#define TEST_GMAIL                                                                                 \
    "5.7.25 host gmail-smtp-in.l.google.test[127.0.0.1] said: 550-5.7.25 [127.0.0.1] The IP "     \
    "address sending this message does not have a PTR record setup, or 550 5.7.25 Gmail does "   \
    "not accept messages from IPs with missing PTR records. - gsmtp (in reply to RCPT TO command)"

/* A key that would parse but for its NUL byte. */
#define S_NUL "5.7.1 host a.test[1.2.3.4] said: 550 x\0y"

/* A key and what the parse gives: "-" refused, else "KIND|STATUS|HOST|ADDR|REPLY". */
static const struct {
    const char *key, *want;
} test_keys[] = {
    {TEST_GMAIL, "said|5.7.25|gmail-smtp-in.l.google.test|127.0.0.1|550-5.7.25 [127.0.0.1] The "
                 "IP address sending this message does not have a PTR record setup, or 550 "
                 "5.7.25 Gmail does not accept messages from IPs with missing PTR records. - "
                 "gsmtp"},
    {"4.7.0 host mx01.t-online.test[192.0.2.7] refused to talk to me: 554 IP=192.0.2.1 - A "
     "problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to "
     "clarify.) (BL)",
     "refused|4.7.0|mx01.t-online.test|192.0.2.7|554 IP=192.0.2.1 - A problem occurred. (Ask "
     "your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)"},
    {"5.1.1 host mx.example.test[2001:db8::25] said: 550 5.1.1 <x@y.example>: Recipient address "
     "rejected: User unknown (in reply to end of DATA command)",
     "said|5.1.1|mx.example.test|2001:db8::25|550 5.1.1 <x@y.example>: Recipient address "
     "rejected: User unknown"},
    {"4.4.2 host mx.example.test[::1] said: 421 closing (in reply to MAIL FROM command)",
     "said|4.4.2|mx.example.test|::1|421 closing"},
    {"5.0.0 host MX.Example.TEST.[10.0.0.1] said: 550 no",
     "said|5.0.0|MX.Example.TEST.|10.0.0.1|550 no"},
    {"5.123.999 host a.test[1.2.3.4] said: 5", "said|5.123.999|a.test|1.2.3.4|5"},
    /* only the last "(in reply to" is the command; one without " command)" stays */
    {"5.7.1 host a.test[1.2.3.4] said: 550 x (in reply to y) (in reply to RCPT TO command)",
     "said|5.7.1|a.test|1.2.3.4|550 x (in reply to y)"},
    {"5.7.1 host a.test[1.2.3.4] said: 550 x (in reply to RCPT TO)",
     "said|5.7.1|a.test|1.2.3.4|550 x (in reply to RCPT TO)"},
    {"5.7.1 host a.test[1.2.3.4] said: 550 x (in reply to  command)",
     "said|5.7.1|a.test|1.2.3.4|550 x (in reply to  command)"},
    /* successes carry no host */
    {"2.0.0 250 2.0.0 Ok: queued as 4Xyz12", "-"},
    {"2.0.0 250 2.0.0 Ok: queued as 4Xyz12 (in reply to end of DATA command)", "-"},
    /* class 2 is a success whatever its text: never a rejection to learn from */
    {"2.0.0 host a.test[192.0.2.1] said: 250 192.0.2.1 does not have a PTR record", "-"},
    {"2.1.5 host a.test[192.0.2.1] refused to talk to me: 550 5.7.25 no PTR", "-"},
    /* malformed */
    {"", "-"},
    {"5.7.25", "-"},
    {"5.7.25 ", "-"},
    {"3.7.25 host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7 host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7.2555 host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7.25x host a.test[1.2.3.4] said: 550 x", "-"},
    {"5..25 host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7.25  host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7.25 host [1.2.3.4] said: 550 x", "-"},
    {"5.7.25 host a.test[] said: 550 x", "-"},
    {"5.7.25 host a.test[1.2.3.4 said: 550 x", "-"},
    {"5.7.25 host a.test[1.2.3.4] said:", "-"},
    {"5.7.25 host a.test[1.2.3.4] said: ", "-"},
    {"5.7.25 host a.test[1.2.3.4] said 550 x", "-"},
    {"5.7.25 host a.test[1.2.3.4]said: 550 x", "-"},
    {"5.7.25 host a test[1.2.3.4] said: 550 x", "-"},
    {"5.7.25 host a.test[1.2 3.4] said: 550 x", "-"},
    {"5.7.25 host a.test[[1.2.3.4] said: 550 x", "-"},
    {"5.7.25 host a.test[1.2.3.4] refused to talk: 550 x", "-"},
    {"5.7.25 host a.test[1.2.3.4] said: (in reply to RCPT TO command)", "-"},
    {"5.7.25 Host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.7.25 delivery temporarily suspended: host a.test[1.2.3.4] said: 550 x", "-"},
    {"5.4.4 Host or domain name not found. Name service error for name=x.test type=MX", "-"},
};

/* Run the table: every key parsed into one string and compared. */
static void test_parse(void)
{
    size_t i;

    for (i = 0; i < sizeof(test_keys) / sizeof(test_keys[0]); i++) {
        const char *key = test_keys[i].key;
        struct dsn_key k;
        char got[2048];
        int rc = dsn_key_parse(key, strlen(key), &k);

        if (rc < 0)
            snprintf(got, sizeof(got), "-");
        else
            snprintf(got, sizeof(got), "%s|%.*s|%.*s|%.*s|%.*s",
                     k.kind == DSN_SAID ? "said" : "refused", (int)k.status_len, k.status,
                     (int)k.host_len, k.host, (int)k.addr_len, k.addr, (int)k.reply_len, k.reply);
        is_str(got, test_keys[i].want, key[0] ? key : "(empty key)");
        if (rc == 0)
            ok(k.text == key + k.status_len + 1 && k.text + k.text_len == key + strlen(key),
               "TEXT is the whole key after STATUS and one space");
    }
}

/* The parser never reads past len: every prefix of a good key, in a buffer of its own size. */
static void test_bounds(void)
{
    size_t len = strlen(TEST_GMAIL), n, good = 0;
    struct dsn_key k;

    for (n = 0; n <= len; n++) {
        char *buf = malloc(n ? n : 1);

        if (buf == NULL)
            abort();
        memcpy(buf, TEST_GMAIL, n);
        if (dsn_key_parse(buf, n, &k) == 0) {
            good++;
            if (k.reply + k.reply_len > buf + n || k.text + k.text_len != buf + n)
                ok(0, "prefix %zu: a field runs past the key", n);
        }
        free(buf);
    }
    /* a prefix parses once it holds "said: " and one byte of reply */
    is_int((long long)good, (long long)(len - (strstr(TEST_GMAIL, "said: ") + 6 - TEST_GMAIL)),
           "every prefix with a reply parses, shorter ones do not");
    ok(dsn_key_parse(NULL, 0, &k) == -1, "NULL key refused");
    ok(dsn_key_parse(S_NUL, sizeof(S_NUL) - 1, &k) == -1 && k.host == NULL,
       "a key with a NUL byte is refused, no field left set");
}

/* Host name, scope, and the pattern or "!" for refused. */
static const struct {
    const char *host;
    int scope_host;
    const char *want;
} test_patterns[] = {
    {"aspmx.l.google.com", 0, "mx:.google.com"},
    {"gmail-smtp-in.l.google.test", 0, "mx:.google.test"},
    {"GMAIL-SMTP-IN.L.Google.Com.", 0, "mx:.google.com"},
    {"mx.example.co.uk", 0, "mx:.example.co.uk"},
    {"example-com.mail.protection.outlook.com", 0, "mx:.outlook.com"},
    {"mx00.t-online.de", 0, "mx:.t-online.de"},
    {"google.test", 0, "mx:.google.test"},
    {"aspmx.l.google.com", 1, "mx:aspmx.l.google.com"},
    {"MX1.Example.TEST.", 1, "mx:mx1.example.test"},
    {"_x.a-b.test", 1, "mx:_x.a-b.test"},
    {"co.uk", 0, "!"},
    {"test", 0, "!"},
    {"test", 1, "!"},
    {"localhost", 1, "!"},
    {"unknown", 0, "!"},
    {"unknown", 1, "!"},
    {"192.0.2.1", 0, "!"},
    {"192.0.2.1", 1, "!"},
    {"10.1", 1, "!"},
    {"2001:db8::1", 1, "!"},
    {"[192.0.2.1]", 1, "!"},
    {"", 0, "!"},
    {".", 1, "!"},
    {"a..test", 1, "!"},
    {".a.test", 1, "!"},
    {"a.test..", 1, "!"},
    {"a b.test", 1, "!"},
    {"a\x80.test", 1, "!"},
    {"a.te\nst", 1, "!"},
};

/* Run the pattern table, and check an output buffer that is one byte short. */
static void test_learn_pattern(void)
{
    char err[256], out[DSN_PATTERN_MAX], label[80], name[512];
    size_t i;

    ok(dsn_init(err, sizeof(err)) == 0, "the public suffix list loads");
    ok(dsn_init(err, sizeof(err)) == 0, "a second dsn_init is harmless");
    for (i = 0; i < sizeof(test_patterns) / sizeof(test_patterns[0]); i++) {
        const char *h = test_patterns[i].host;
        int rc;

        err[0] = '\0';
        rc = dsn_learn_pattern(h, strlen(h), test_patterns[i].scope_host, out, sizeof(out), err,
                               sizeof(err));
        snprintf(name, sizeof(name), "%s, scope %s", h, test_patterns[i].scope_host ? "host" : "domain");
        is_str(rc == 0 ? out : "!", test_patterns[i].want, name);
        if (rc < 0)
            ok(err[0] != '\0', "  with a reason: %s", err);
    }
    ok(dsn_learn_pattern("a.test", 6, 1, out, 8, err, sizeof(err)) == -1,
       "\"mx:a.test\" does not fit 8 bytes: refused");
    ok(dsn_learn_pattern("a.test", 6, 1, out, 10, err, sizeof(err)) == 0, "it fits 10");
    /* a 253-byte name of 63-byte labels is accepted, 254 is not */
    memset(label, 'a', 63);
    snprintf(name, sizeof(name), "%.63s.%.63s.%.63s.%.61s", label, label, label, label);
    ok(strlen(name) == 253 &&
           dsn_learn_pattern(name, 253, 1, out, sizeof(out), err, sizeof(err)) == 0,
       "a 253-byte host name is learned with scope host");
    snprintf(name, sizeof(name), "%.63s.%.63s.%.63s.%.62s", label, label, label, label);
    ok(dsn_learn_pattern(name, 254, 1, out, sizeof(out), err, sizeof(err)) == -1,
       "254 bytes are refused");
    snprintf(name, sizeof(name), "%.63sa.test", label);
    ok(dsn_learn_pattern(name, strlen(name), 1, out, sizeof(out), err, sizeof(err)) == -1,
       "a 64-byte label is refused");
}

/* The deferring answer: 4.x.x, TEXT unchanged, the tail; cut to the buffer and the reply bound. */
static void test_defer(void)
{
    struct dsn_key k;
    char buf[1024], *big, *key;
    size_t n, keylen = SOCKMAP_REPLY_MAX + 100;

    if (dsn_key_parse(TEST_GMAIL, strlen(TEST_GMAIL), &k) < 0)
        abort();
    n = dsn_defer_text(&k, "smarthost", "mx:.google.test", buf, sizeof(buf));
    is_str(buf,
           "4.7.25 host gmail-smtp-in.l.google.test[127.0.0.1] said: 550-5.7.25 [127.0.0.1] The IP "
           "address sending this message does not have a PTR record setup, or 550 5.7.25 Gmail "
           "does not accept messages from IPs with missing PTR records. - gsmtp (in reply to RCPT "
           "TO command) (policyd: learned route smarthost for mx:.google.test; retrying)",
           "5.7.25 becomes 4.7.25 with TEXT unchanged and the policyd note");
    is_int((long long)n, (long long)strlen(buf), "returns the length written");
    n = dsn_defer_text(&k, "smarthost", "mx:.google.test", buf, 100);
    ok(n == 99 && strlen(buf) == 99 && strncmp(buf, "4.7.25 host gmail", 17) == 0 &&
           strcmp(buf + 99 - 9, "retrying)") == 0,
       "a short buffer cuts TEXT, keeps the note: %s", buf);
    n = dsn_defer_text(&k, "smarthost", "mx:.google.test", buf, 5);
    is_str(buf, "4.7.", "a buffer too small for the note is cut at its end");
    is_int((long long)dsn_defer_text(&k, "r", "p", buf, 0), 0, "size 0 writes nothing");

    /* a key longer than a socketmap reply: the answer still fits "OK " + data */
    big = malloc(keylen + 1);
    key = malloc(keylen + 1);
    if (big == NULL || key == NULL)
        abort();
    n = (size_t)snprintf(key, keylen + 1, "5.7.1 host a.test[1.2.3.4] said: 550 ");
    memset(key + n, 'x', keylen - n);
    key[keylen] = '\0';
    ok(dsn_key_parse(key, keylen, &k) == 0, "a key of %zu bytes parses", keylen);
    n = dsn_defer_text(&k, "smarthost", "mx:.a.test", big, keylen + 1);
    ok(n == SOCKMAP_REPLY_MAX - 3 && strlen(big) == n &&
           strcmp(big + n - 9, "retrying)") == 0 && strncmp(big, "4.7.1 host a.test", 17) == 0,
       "its answer is cut to SOCKMAP_REPLY_MAX - 3 bytes (%zu), the note kept", n);
    free(big);
    free(key);
}

int main(void)
{
    test_parse();
    test_bounds();
    test_learn_pattern();
    test_defer();
    return done_testing();
}
