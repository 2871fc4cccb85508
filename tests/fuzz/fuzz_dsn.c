/*
 * fuzz_dsn.c - fuzz target for delivery-status keys. Parses the input as the key of
 * map dsn and aborts when an invariant breaks: every field inside the key, STATUS
 * [245].D.D, TEXT the rest of the key, NAME and ADDR without blanks or brackets, the
 * reply inside TEXT and not empty. A parsed host goes on to dsn_learn_pattern (a
 * pattern is "mx:" + lowercase, never a trailing dot) and dsn_defer_text (bounded by
 * every buffer size, starting "4.").
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless p[0..n) lies inside key[0..len). */
static void fuzz_dsn_inside(const char *key, size_t len, const char *p, size_t n)
{
    if (p < key || p > key + len || n > len - (size_t)(p - key))
        abort();
}

/* Abort unless s[0..n) is non-empty and holds no blank, control byte or bracket. */
static void fuzz_dsn_word(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '[' || s[i] == ']')
            abort();
}

/* Check one parsed key against the text it came from. */
static void fuzz_dsn_check(const char *key, size_t len, const struct dsn_key *k)
{
    fuzz_dsn_inside(key, len, k->status, k->status_len);
    fuzz_dsn_inside(key, len, k->host, k->host_len);
    fuzz_dsn_inside(key, len, k->addr, k->addr_len);
    fuzz_dsn_inside(key, len, k->reply, k->reply_len);
    if (k->status != key || k->status_len < 5 || k->status_len > 9 ||
        strchr("245", key[0]) == NULL || key[0] == '\0' || key[1] != '.')
        abort();
    if (k->text != key + k->status_len + 1 || k->text + k->text_len != key + len ||
        key[k->status_len] != ' ')
        abort();
    fuzz_dsn_word(k->host, k->host_len);
    fuzz_dsn_word(k->addr, k->addr_len);
    if (k->reply_len == 0 || k->reply < k->addr + k->addr_len ||
        (k->kind != DSN_SAID && k->kind != DSN_REFUSED))
        abort();
}

/* The learned pattern of the key's host, both scopes. */
static void fuzz_dsn_pattern(const struct dsn_key *k)
{
    char out[DSN_PATTERN_MAX], err[256];
    int scope;
    size_t i, n;

    for (scope = 0; scope <= 1; scope++) {
        if (dsn_learn_pattern(k->host, k->host_len, scope, out, sizeof(out), err, sizeof(err)) < 0)
            continue;
        n = strlen(out);
        if (n < 5 || memcmp(out, "mx:", 3) != 0 || out[n - 1] == '.' ||
            (scope == 0 && out[3] != '.'))
            abort();
        for (i = 0; i < n; i++)
            if (out[i] >= 'A' && out[i] <= 'Z')
                abort();
    }
}

/* The deferral text in buffers of several sizes: bounded, NUL-terminated, "4." first. */
static void fuzz_dsn_defer(const struct dsn_key *k)
{
    static const size_t sizes[] = {1, 2, 7, 64, 4096};
    char buf[4096];
    size_t i, n;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(buf, 'z', sizeof(buf));
        n = dsn_defer_text(k, "smarthost", "mx:.example.test", buf, sizes[i]);
        if (n >= sizes[i] || buf[n] != '\0' || strlen(buf) != n)
            abort();
        if (n >= 2 && (buf[0] != '4' || buf[1] != '.'))
            abort();
    }
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *key = (const char *)data;
    struct dsn_key k;

    if (dsn_key_parse(key, size, &k) < 0) {
        if (k.status || k.text || k.host || k.addr || k.reply)
            abort();
        return 0;
    }
    fuzz_dsn_check(key, size, &k);
    fuzz_dsn_pattern(&k);
    fuzz_dsn_defer(&k);
    return 0;
}
