/*
 * fuzz_sig.c - fuzz target for signature files: the input is one signature file; it is
 * parsed, compiled and matched against a few fixed replies (and against itself). A
 * file refused without an error, errors that do not name the file and line, or a hit
 * whose CLASS is not a class word, a line past the file's end or a pattern that is
 * not /.../, calls abort().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check a hit's invariants against the file data[0..size). */
static void fuzz_sig_check(const struct sigs *s, const struct sig_hit *h, const uint8_t *data,
                           size_t size)
{
    size_t lines = 1, i, plen;

    for (i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (h->file == NULL || strcmp(h->file, "fuzz.sig") != 0 || h->line == 0 || h->line > lines ||
        h->cls == NULL || !sigs_class_ok(h->cls, strlen(h->cls)) || h->pattern == NULL ||
        sigs_count(s) == 0)
        abort();
    plen = strlen(h->pattern);
    if (plen < 2 || h->pattern[0] != '/' || strchr(h->pattern + 1, '/') == NULL)
        abort();
}

/* Every diagnostic names the file ("fuzz.sig:" or "fuzz.sig: "). */
static void fuzz_sig_diags(const struct diag *d)
{
    size_t i;

    for (i = 0; i < diag_count(d); i++)
        if (strncmp(diag_text(d, i), "fuzz.sig:", 9) != 0)
            abort();
}

/* One input: a whole signature file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const replies[] = {
        "550-5.7.25 [192.0.2.1] The IP address sending this message does not have a PTR record",
        "550 5.1.1 <x@y.example>: Recipient address rejected: User unknown",
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred",
        "",
        "a",
    };
    struct sigs *s = sigs_new();
    struct diag *d = diag_new();
    struct sig_hit hit;
    size_t i;

    if (s == NULL || d == NULL)
        abort();
    if (sigs_add_buffer(s, "fuzz.sig", (const char *)data, size, d) == 0 &&
        sigs_finish(s, d) == 0) {
        if (diag_errors(d) != 0)
            abort();
        for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
            memset(&hit, 0, sizeof(hit));
            if (sigs_match(s, replies[i], strlen(replies[i]), &hit) == 1)
                fuzz_sig_check(s, &hit, data, size);
        }
        memset(&hit, 0, sizeof(hit));
        if (sigs_match(s, (const char *)data, size, &hit) == 1)
            fuzz_sig_check(s, &hit, data, size);
    } else if (diag_errors(d) == 0) {
        abort(); /* a failure must say why */
    }
    fuzz_sig_diags(d);
    sigs_free(s);
    diag_free(d);
    return 0;
}
