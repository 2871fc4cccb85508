/* test_log.c - escaping of peer data (and of our own files) for logs, facility names, the log rate
 * limit. */
#include "config.h"

#include <string.h>
#include <syslog.h>

#include "log.h"
#include "tap.h"

int main(void)
{
    static const struct {
        const char *in;
        size_t len;
        size_t size;
        const char *want;
    } cases[] = {
        {"plain@example.org", 17, 64, "plain@example.org"},
        {"a\nb", 3, 64, "a\\x0ab"},
        {"back\\slash", 10, 64, "back\\x5cslash"},
        {"nul\0byte", 8, 64, "nul\\x00byte"},
        {"\x1b[31mred", 8, 64, "\\x1b[31mred"},
        {"\xc3\xa9", 2, 64, "\\xc3\\xa9"},
        {"0123456789abcdef", 16, 10, "012345..."},
        {"abc", 3, 4, "abc"},
        {"abcd", 4, 4, "..."},
        {"\n\n\n\n", 4, 8, "\\x0a..."},
        {"abcd", 4, 3, "ab"},
        {"", 0, 1, ""},
    };
    char buf[64];
    size_t i;
    int fac = -1;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(buf, 'X', sizeof(buf));
        log_escape(buf, cases[i].size, cases[i].in, cases[i].len);
        is_str(buf, cases[i].want, cases[i].want);
        ok(strlen(buf) < cases[i].size, "  fits in %zu bytes", cases[i].size);
    }
    {
        /* Text of our own files: the same escaping and cut, backslashes kept as written. */
        static const struct {
            const char *in;
            size_t len, size;
            const char *want;
        } files[] = {
            {"/^a\\.b$/", 8, 64, "/^a\\.b$/"},
            {"/yahoo\\/ relay", 14, 64, "/yahoo\\/ relay"},
            {"exa\xc3\xa9mple\\", 10, 64, "exa\\xc3\\xa9mple\\"},
            {"a\nb", 3, 64, "a\\x0ab"},
            {"0123456789abcdef", 16, 10, "012345..."},
        };

        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            memset(buf, 'X', sizeof(buf));
            log_escape_file(buf, files[i].size, files[i].in, files[i].len);
            is_str(buf, files[i].want, files[i].want);
        }
    }
    {
        struct log_limit l = {0};
        unsigned long quiet = 99;

        ok(log_limit_pass(&l, 100, &quiet) == 1 && quiet == 0, "limit: the first line passes");
        ok(log_limit_pass(&l, 100, &quiet) == 0, "limit: a second line in that second is quiet");
        ok(log_limit_pass(&l, 100, &quiet) == 0, "limit: and a third");
        is_int((long)log_limit_flush(&l, 100), 0, "limit: no summary within the second");
        ok(log_limit_pass(&l, 101, &quiet) == 1 && quiet == 2,
           "limit: the next second's line passes with the quiet count");
        ok(log_limit_pass(&l, 101, &quiet) == 0, "limit: quiet again");
        is_int((long)log_limit_flush(&l, 102), 1, "limit: summary once the second is over");
        is_int((long)log_limit_flush(&l, 103), 0, "limit: the count started again");
        ok(log_limit_pass(&l, 104, &quiet) == 1 && quiet == 0, "limit: summary counted once");
    }
    ok(log_facility_parse("mail", &fac) == 0 && fac == LOG_MAIL, "facility mail");
    ok(log_facility_parse("LOCAL3", &fac) == 0 && fac == LOG_LOCAL3, "facility names ignore case");
    ok(log_facility_parse("kern", &fac) < 0, "kern is refused");
    return done_testing();
}
