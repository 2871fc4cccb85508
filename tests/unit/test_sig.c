/*
 * test_sig.c - signature files: the syntax and its FILE:LINE errors, caseless first-match
 * order across files, globs and missing files; and the shipped rules/rejections.sig: every
 * "# sample:" reply is matched first by the signature right after it, and plain failures
 * (user unknown, mailbox full, ...) by none.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "lines.h"
#include "sig.h"
#include "snapshot.h"
#include "tap.h"
#include "testutil.h"

#define S(x) x, sizeof(x) - 1

/* All diagnostics of d, '|'-joined, into buf. */
static const char *test_diags(const struct diag *d, char *buf, size_t size)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < diag_count(d) && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "|" : "", diag_text(d, i));
    return buf;
}

/* A file's text and the diagnostics it gives ("" for none). */
static const struct {
    const char *text;
    size_t len;
    const char *want;
} test_files[] = {
    {S("/ptr record/ ptr\n"), ""},
    {S("# comment\n\n  /a b/ix   ptr   # the CLASS, then a comment\n/x/ my-class_2\n"), ""},
    {S("/\\/path/ ptr\n"), ""},
    {S("/a(b/ ptr\n"), "f.sig:1: bad regex /a(b/: missing closing parenthesis at offset 3"},
    {S("/x/\n/y/   \n"), "f.sig:1: missing CLASS after /x/|f.sig:2: missing CLASS after /y/"},
    {S("/x/ # ptr\n"), "f.sig:1: missing CLASS after /x/"},
    {S("/x/ PTR\n"), "f.sig:1: bad CLASS \"PTR\": a class is [a-z0-9_-]+, at most 32 bytes"},
    {S("/x/ p.t\n"), "f.sig:1: bad CLASS \"p.t\": a class is [a-z0-9_-]+, at most 32 bytes"},
    {S("/x/ aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"),
     "f.sig:1: bad CLASS \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": a class is [a-z0-9_-]+, at most "
     "32 bytes"},
    {S("/x/ ptr reputation\n"),
     "f.sig:1: unexpected reputation after the CLASS (one CLASS a line; a comment starts with "
     "'#')"},
    {S("/x/ ptr#c\n"), "f.sig:1: bad CLASS \"ptr#c\": a class is [a-z0-9_-]+, at most 32 bytes"},
    {S("/x/g ptr\n"), "f.sig:1: unknown regex flag 'g' (known: i, x)"},
    {S("/x ptr\n"), "f.sig:1: regex /x ptr has no closing '/' (write '/' inside as '\\/')"},
    {S("x ptr\n"), "f.sig:1: expected /REGEX/FLAGS CLASS, not x ptr"},
    {S("ptr /x/\n"), "f.sig:1: expected /REGEX/FLAGS CLASS, not ptr /x/"},
    {S("/\x01/ ptr\n"), "f.sig:1: byte 0x01 in the pattern: patterns are printable ASCII (write "
                        "\\xNN)"},
    {S("/ok/ ptr\n/a\0b/ ptr\n/(/ ptr\n"),
     "f.sig:2: NUL byte|f.sig:3: bad regex /(/: missing closing parenthesis at offset 1"},
};

/* Every file of the table gives exactly its diagnostics, and a set only when there are none. */
static void test_syntax(void)
{
    char buf[2048];
    size_t i;

    for (i = 0; i < sizeof(test_files) / sizeof(test_files[0]); i++) {
        struct sigs *s = sigs_new();
        struct diag *d = diag_new();
        int rc;

        if (s == NULL || d == NULL)
            abort();
        rc = sigs_add_buffer(s, "f.sig", test_files[i].text, test_files[i].len, d);
        is_str(test_diags(d, buf, sizeof(buf)), test_files[i].want, test_files[i].text);
        ok(rc == (test_files[i].want[0] ? -1 : 0), "  returns %d", rc);
        sigs_free(s);
        diag_free(d);
    }
}

/* A reply and the "FILE:LINE CLASS" of the first match, or "-". */
static const struct {
    const char *reply, *want;
} test_replies[] = {
    {"550 5.7.25 The IP address does not have a PTR record", "a.sig:2 ptr"},
    {"550 5.7.25 THE IP ADDRESS DOES NOT HAVE A PTR RECORD", "a.sig:2 ptr"},
    {"421 4.7.0 try later, unusual rate", "a.sig:3 ratelimit"},
    {"554 listed at a block list; PTR record missing", "a.sig:2 ptr"},
    {"554 listed at a block list", "b.sig:1 blocklist"},
    {"550 other", "b.sig:3 other"},
    {"250 ok", "-"},
    {"", "-"},
};

/* First match wins across files, caseless whatever the flags say, with file and line. */
static void test_match(void)
{
    static const char a[] = "# a\n/ptr record/ ptr\n/unusual\\s+rate/x ratelimit\n";
    static const char b[] = "/block list/i blocklist\n/ptr/ never\n/^550 /I other\n";
    static const char b2[] = "/block list/i blocklist\n/ptr/ never\n/^550 / other\n";
    struct sigs *s = sigs_new();
    struct diag *d = diag_new();
    struct sig_hit hit;
    char got[256];
    size_t i;

    if (s == NULL || d == NULL)
        abort();
    ok(sigs_add_buffer(s, "a.sig", S(a), d) == 0, "file a loads");
    ok(sigs_add_buffer(s, "b.sig", b, sizeof(b) - 1, d) == -1 && diag_errors(d) == 1,
       "file b: the flag I is unknown (flags are lower case)");
    diag_free(d);
    sigs_free(s);
    s = sigs_new();
    d = diag_new();
    if (s == NULL || d == NULL)
        abort();
    ok(sigs_match(s, S("x"), &hit) == 0, "an empty set matches nothing");
    ok(sigs_add_buffer(s, "a.sig", S(a), d) == 0 && sigs_add_buffer(s, "b.sig", S(b2), d) == 0 &&
           sigs_finish(s, d) == 0,
       "files a and b load and compile");
    is_int((long long)sigs_count(s), 5, "5 signatures");
    is_int((long long)sigs_file_count(s), 2, "from 2 files");
    ok(sigs_add_buffer(s, "c.sig", S("/x/ ptr\n"), d) == -1, "nothing is added after finish");
    for (i = 0; i < sizeof(test_replies) / sizeof(test_replies[0]); i++) {
        const char *r = test_replies[i].reply;
        int rc = sigs_match(s, r, strlen(r), &hit);

        if (rc == 1)
            snprintf(got, sizeof(got), "%s:%u %s", hit.file, hit.line, hit.cls);
        else
            snprintf(got, sizeof(got), "%s", rc == 0 ? "-" : "error");
        is_str(got, test_replies[i].want, r[0] ? r : "(empty reply)");
    }
    ok(sigs_match(s, S("550 x ptr record"), &hit) == 1 && strcmp(hit.pattern, "/ptr record/") == 0,
       "the hit names the pattern as written");
    /* a reply is (pointer, length): bytes past len are not looked at */
    ok(sigs_match(s, "421 unusual rate", 6, &hit) == 0, "only reply[0..len) is matched");
    sigs_free(s);
    diag_free(d);
    sigs_free(NULL);
}

/* Files through the glob and the reader: order, a glob matching nothing, a missing path. */
static void test_files_glob(void)
{
    char dir[] = "/tmp/test_sig.XXXXXX", path[256], buf[1024];
    struct sigs *s = sigs_new();
    struct diag *d = diag_new();
    struct sig_hit hit;
    FILE *f;

    if (s == NULL || d == NULL || mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/20-b.sig", dir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fputs("/same/ second\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/10-a.sig", dir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fputs("/same/ first\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/*.sig", dir);
    ok(sigs_add_files(s, path, d) == 0, "a glob loads");
    snprintf(path, sizeof(path), "%s/*.none", dir);
    ok(sigs_add_files(s, path, d) == 0 && diag_warnings(d) == 1 && diag_errors(d) == 0,
       "a glob matching nothing is a warning: %s", test_diags(d, buf, sizeof(buf)));
    snprintf(path, sizeof(path), "%s/no-such-dir/*.sig", dir);
    ok(sigs_add_files(s, path, d) == 0 && diag_warnings(d) == 2 && diag_errors(d) == 0,
       "a glob in a directory that does not exist is a warning too (nothing installed there)");
    snprintf(path, sizeof(path), "%s/missing.sig", dir);
    ok(sigs_add_files(s, path, d) == -1 && diag_errors(d) == 1, "a missing path is an error: %s",
       test_diags(d, buf, sizeof(buf)));
    ok(sigs_finish(s, d) == 0 && sigs_match(s, S("same"), &hit) == 1 &&
           strcmp(hit.cls, "first") == 0 && sigs_file_count(s) == 2,
       "files of a glob are read in lexical order (10-a before 20-b)");
    ok(sigs_add_files(s, dir, d) == -1, "a directory is refused");
    test_rmdir_files(dir);
    sigs_free(s);
    diag_free(d);
}

/* Write text to dir/name; the path in path. */
static void test_write(const char *dir, const char *name, const char *text, char *path,
                       size_t size)
{
    FILE *f;

    snprintf(path, size, "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fputs(text, f);
    fclose(f);
}

/* Build a snapshot of config text in dir: its diagnostics '|'-joined, "" when built. */
static const char *test_build(const char *dir, const char *conf, char *buf, size_t size,
                              size_t *nsigs)
{
    char path[512];
    struct diag *d = diag_new();
    struct snapshot *s;

    test_write(dir, "policyd.conf", conf, path, sizeof(path));
    s = snapshot_build(path, d);
    test_diags(d, buf, size);
    if (s == NULL)
        snprintf(buf + strlen(buf), size - strlen(buf), "%sNO SNAPSHOT", buf[0] ? "|" : "");
    *nsigs = s ? sigs_count(snapshot_sigs(s)) : 0;
    snapshot_unref(s);
    diag_free(d);
    return buf;
}

/* The snapshot carries the signatures: errors keep it from being built, learn_route warns. */
static void test_snapshot(void)
{
    char dir[] = "/tmp/test_sig_snap.XXXXXX", path[512], buf[2048], want[1024], conf[512];
    size_t n = 99;
    FILE *out;
    char *text = NULL;
    size_t tlen = 0;

    if (mkdtemp(dir) == NULL)
        abort();
    test_write(dir, "empty.rules", "", path, sizeof(path));
    test_write(dir, "good.sig", "/ptr/ ptr\n/x/ other\n", path, sizeof(path));
    test_write(dir, "bad.sig", "/ok/ ptr\n/(/ ptr\n", path, sizeof(path));
    is_str(test_build(dir, "rules = empty.rules\nsignatures = good.sig\n"
                           "route.smarthost = smtp:[relay.example]\n", buf, sizeof(buf), &n),
           "", "rules and signatures build, no diagnostic");
    is_int((long long)n, 2, "  the snapshot holds the 2 signatures");
    snprintf(want, sizeof(want),
             "%s/policyd.conf: warning: learn_route smarthost is not a defined route: the dsn "
             "map learns nothing", dir);
    is_str(test_build(dir, "rules = empty.rules\nsignatures = good.sig\n", buf, sizeof(buf), &n),
           want, "learn_route not defined: a warning, and the snapshot is built");
    is_str(test_build(dir, "rules = empty.rules\nsignatures = good.sig\nlearn =\n", buf,
                      sizeof(buf), &n),
           "", "learn = (nothing): no warning");
    is_str(test_build(dir, "rules = empty.rules\nsignatures =\n", buf, sizeof(buf), &n), "",
           "no signatures: no warning");
    ok(n == 0, "  and an empty set (never NULL)");
    snprintf(want, sizeof(want), "%s/bad.sig:2: bad regex /(/: missing closing parenthesis at "
             "offset 1|NO SNAPSHOT", dir);
    is_str(test_build(dir, "rules = empty.rules\nsignatures = good.sig bad.sig\n"
                           "route.smarthost = smtp:\n", buf, sizeof(buf), &n),
           want, "a bad signature file: FILE:LINE, no snapshot");
    snprintf(want, sizeof(want), "%s/none.sig: cannot open: No such file or directory|NO SNAPSHOT",
             dir);
    is_str(test_build(dir, "rules = empty.rules\nsignatures = none.sig\n", buf, sizeof(buf), &n),
           want, "a missing plain path is an error");
    /* policyd -t: the rules' line unchanged, then the signatures' line */
    snprintf(conf, sizeof(conf), "rules = empty.rules\nsignatures = good.sig, %s/*.sig\n"
             "route.smarthost = smtp:\n", dir);
    test_write(dir, "bad.sig", "/ok/ ptr\n", path, sizeof(path));
    test_write(dir, "policyd.conf", conf, path, sizeof(path));
    if ((out = open_memstream(&text, &tlen)) == NULL)
        abort();
    is_int(snapshot_check(path, out, out), 0, "snapshot_check passes");
    fclose(out);
    is_str(text, "0 rules from 1 files, 1 routes\n5 signatures from 3 files\n",
           "it prints the rules' summary, then the signatures' (good.sig twice: 2 + 1 + 2)");
    free(text);
    test_rmdir_files(dir);
}

/* Replies no shipped signature may match: plain failures that are not about the sender. */
static const char *const test_plain[] = {
    "550 5.1.1 <x@y.example>: Recipient address rejected: User unknown",
    "550 5.1.1 <x@y.example>: Recipient address rejected: User unknown in virtual mailbox table",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking "
    "the recipient's email address for typos or unnecessary spaces. - gsmtp",
    "552 5.2.2 <x@y.example>: Mailbox full",
    "452 4.2.2 The email account that you tried to reach is over quota. - gsmtp",
    "550 5.7.1 Message rejected as spam by Content Filtering.",
    "554 5.7.1 <x@y.example>: Relay access denied",
    "451 4.3.0 Temporary lookup failure",
    "550 5.2.1 The email account that you tried to reach is disabled.",
    "421 4.4.2 mx.example.test Error: timeout exceeded",
    /* an address that holds "4.7.25 ": the RFC 7372 code counts only right after the reply code */
    "451 4.3.0 backend 10.4.7.25 not responding, try again later",
};

/* Check one "# sample:" of the shipped file against its signature line; 0 or 1 (failed). */
static int test_sample(const struct sigs *s, const char *file, const char *sample, size_t slen,
                       unsigned sample_line, unsigned sig_line)
{
    struct sig_hit hit;
    int rc = sigs_match(s, sample, slen, &hit);

    if (rc == 1 && hit.line == sig_line && strcmp(hit.file, file) == 0) {
        ok(1, "rejections.sig:%u: its sample is matched first by line %u (%s)", sample_line,
           sig_line, hit.cls);
        return 0;
    }
    ok(0, "rejections.sig:%u: its sample is matched first by line %u", sample_line, sig_line);
    if (rc == 1)
        printf("#   matched first by line %u (%s) %s\n", hit.line, hit.cls, hit.pattern);
    else
        printf("#   matched by none (%d): %.*s\n", rc, (int)slen, sample);
    return 1;
}

/* The shipped file: loads, every signature has a source and a sample, every sample hits it. */
static void test_shipped(void)
{
    const char *file = TOP_SRCDIR "/rules/rejections.sig";
    struct sigs *s = sigs_new();
    struct diag *d = diag_new();
    char *text = NULL, err[256], diags[2048];
    size_t len = 0, n, i, samples = 0, sigs = 0;
    const char *line, *pending[64];
    size_t pending_len[64];
    unsigned pending_line[64], npending = 0, no = 0;
    int have_source = 0, bad = 0;
    struct sig_hit hit;

    if (s == NULL || d == NULL)
        abort();
    ok(sigs_add_files(s, file, d) == 0 && sigs_finish(s, d) == 0 && diag_count(d) == 0,
       "rules/rejections.sig loads without a diagnostic %s", test_diags(d, diags, sizeof(diags)));
    if (lines_read_file(file, 1 << 20, &text, &len, err, sizeof(err)) < 0) {
        ok(0, "read %s: %s", file, err);
        goto out;
    }
    /* lines_next skips comments: walk every line by hand, numbering from 1 */
    for (line = text; line < text + len;) {
        const char *nl = memchr(line, '\n', (size_t)(text + len - line));

        n = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
        no++;
        if (strncmp(line, "# source:", 9) == 0) {
            have_source = 1;
        } else if (strncmp(line, "# sample: ", 10) == 0) {
            if (npending < 64) {
                pending[npending] = line + 10;
                pending_len[npending] = n - 10;
                pending_line[npending++] = no;
            }
        } else if (n > 0 && line[0] == '/') {
            sigs++;
            if (npending == 0 || !have_source) {
                ok(0, "rejections.sig:%u: a signature with a # source: and a # sample: before it",
                   no);
                bad++;
            }
            for (i = 0; i < npending; i++, samples++)
                bad += test_sample(s, file, pending[i], pending_len[i], pending_line[i], no);
            npending = 0;
            have_source = 0;
        }
        line += n + 1;
    }
    ok(npending == 0, "no # sample: without a signature after it");
    is_int((long long)sigs, (long long)sigs_count(s), "every signature line was seen");
    ok(samples >= sigs && sigs >= 20, "%zu samples for %zu signatures", samples, sigs);
    ok(bad == 0, "every signature has its source and sample, and matches it first");
    for (i = 0; i < sizeof(test_plain) / sizeof(test_plain[0]); i++) {
        int rc = sigs_match(s, test_plain[i], strlen(test_plain[i]), &hit);

        ok(rc == 0, "no signature matches: %s", test_plain[i]);
        if (rc == 1)
            printf("#   line %u (%s) %s matched\n", hit.line, hit.cls, hit.pattern);
    }
out:
    free(text);
    sigs_free(s);
    diag_free(d);
}

int main(void)
{
    test_syntax();
    test_match();
    test_files_glob();
    test_snapshot();
    test_shipped();
    return done_testing();
}
