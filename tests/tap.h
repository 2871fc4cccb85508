/* tap.h - a minimal TAP producer for the C unit tests (header only). */
#ifndef POLICYD_TAP_H
#define POLICYD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

/* Record one test point; prints "ok N - name" or "not ok N - name". Returns cond. */
static int __attribute__((format(printf, 2, 3), unused)) ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

/* Compare two byte strings (got may be NULL); print both on a mismatch. */
static int __attribute__((unused))
is_mem(const char *got, size_t got_len, const char *want, const char *name)
{
    size_t want_len = strlen(want);
    int cond = got != NULL && got_len == want_len && memcmp(got, want, want_len) == 0;

    ok(cond, "%s", name);
    if (!cond)
        printf("#   got:  '%.*s'\n#   want: '%s'\n", got ? (int)got_len : 6, got ? got : "(null)",
               want);
    return cond;
}

/* Compare two NUL-terminated strings (got may be NULL). */
static int __attribute__((unused)) is_str(const char *got, const char *want, const char *name)
{
    return is_mem(got, got ? strlen(got) : 0, want, name);
}

/* Compare two integers. */
static int __attribute__((unused)) is_int(long long got, long long want, const char *name)
{
    int cond = got == want;

    ok(cond, "%s", name);
    if (!cond)
        printf("#   got:  %lld\n#   want: %lld\n", got, want);
    return cond;
}

/* Print the plan and return the exit status for main. */
static int __attribute__((unused)) done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
