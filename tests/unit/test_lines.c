/*
 * test_lines.c - the shared file and line reader: lines with their numbers, limits,
 * NUL bytes, CR LF, blank lines and comments; regular files read, and a FIFO, a
 * socket, a device or a directory refused without blocking.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lines.h"
#include "tap.h"

#define S(x) x, sizeof(x) - 1

/* A text, its line limit, and what the walk yields: "N:text" or "N!reason" per item, '|'-joined. */
static const struct {
    const char *text;
    size_t len, max;
    const char *want;
} test_walks[] = {
    {S(""), 10, ""},
    {S("a"), 10, "1:a"},
    {S("a\n"), 10, "1:a"},
    {S("a\nb"), 10, "1:a|2:b"},
    {S("a\r\nb\r\n"), 10, "1:a|2:b"},
    {S("a\r\r\n"), 10, "1:a\r"},
    {S("\n\n  \n\t\nx\n"), 10, "5:x"},
    {S("# c\n  # c\n\t#\nx # not mine\n"), 20, "4:x # not mine"},
    {S("\r\n#x\r\ny\n"), 10, "3:y"},
    {S("0123456789\n"), 10, "1:0123456789"},
    {S("0123456789\r\n"), 10, "1!line longer than 10 bytes"},
    {S("0123456789a\nok\n"), 10, "1!line longer than 10 bytes|2:ok"},
    {S("a\0b\nok"), 10, "1!NUL byte|2:ok"},
    {S("# \0\n"), 10, "1!NUL byte"},
    {S("  x  \n"), 10, "1:  x  "},
};

/* Walk text and describe what came out. */
static const char *test_walk(const char *text, size_t len, size_t max, char *buf, size_t size)
{
    struct lines l;
    const char *s;
    size_t n, used = 0;
    char err[128];
    int rc;

    buf[0] = '\0';
    lines_init(&l, text, len, max);
    while ((rc = lines_next(&l, &s, &n, err, sizeof(err))) != 0 && used < size) {
        if (rc > 0)
            used += (size_t)snprintf(buf + used, size - used, "%s%u:%.*s", used ? "|" : "", l.line,
                                     (int)n, s);
        else
            used +=
                (size_t)snprintf(buf + used, size - used, "%s%u!%s", used ? "|" : "", l.line, err);
    }
    return buf;
}

/* Write text to path; 0 or -1. */
static int test_write(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fwrite(text, 1, len, f);
    return fclose(f);
}

/* Read path with lines_read_file; "ok:TEXT" or "err:REASON". */
static const char *test_read(const char *path, size_t max, char *out, size_t size)
{
    char *buf = NULL, err[256];
    size_t len = 0;

    if (lines_read_file(path, max, &buf, &len, err, sizeof(err)) < 0) {
        snprintf(out, size, "err:%s", err);
        return out;
    }
    snprintf(out, size, "ok:%.*s%s", (int)len, buf, buf[len] == '\0' ? "" : "(no NUL)");
    free(buf);
    return out;
}

/* Files of every kind: only regular ones are read, none blocks. */
static void test_files(void)
{
    char dir[] = "/tmp/test_lines.XXXXXX", path[256], out[512];
    struct sockaddr_un sun;
    int fd;

    if (!ok(mkdtemp(dir) != NULL, "temp dir"))
        return;
    snprintf(path, sizeof(path), "%s/f", dir);
    test_write(path, "a\nb\n", 4);
    is_str(test_read(path, 100, out, sizeof(out)), "ok:a\nb\n", "a regular file is read");
    is_str(test_read(path, 4, out, sizeof(out)), "ok:a\nb\n", "exactly max bytes is read");
    is_str(test_read(path, 3, out, sizeof(out)), "err:file larger than 3 bytes",
           "over max is refused");
    test_write(path, "", 0);
    is_str(test_read(path, 3, out, sizeof(out)), "ok:", "an empty file is read");
    snprintf(path, sizeof(path), "%s/missing", dir);
    is_str(test_read(path, 100, out, sizeof(out)), "err:cannot open: No such file or directory",
           "a missing file");
    is_str(test_read(dir, 100, out, sizeof(out)), "err:cannot open: Is a directory",
           "a directory is refused");

    /* A FIFO with no writer: open() without O_NONBLOCK would wait forever. alarm()
     * turns a hang into a failure with a name instead of a stuck test. */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ok(mkfifo(path, 0600) == 0, "mkfifo");
    alarm(10);
    is_str(test_read(path, 100, out, sizeof(out)), "err:not a regular file (a FIFO)",
           "a FIFO is refused without blocking");
    alarm(0);
    unlink(path);

    snprintf(path, sizeof(path), "%s/sock", dir);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1); /* /tmp/test_lines.XXXXXX/sock fits */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ok(fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "a unix socket");
    is_str(test_read(path, 100, out, sizeof(out)), "err:not a regular file (a socket)",
           "a socket is refused");
    if (fd >= 0)
        close(fd);
    unlink(path);
    is_str(test_read("/dev/null", 100, out, sizeof(out)), "err:not a regular file (a device)",
           "a device is refused");

    /* A symbolic link to a regular file is followed (rule files linked from elsewhere). */
    snprintf(path, sizeof(path), "%s/f", dir);
    test_write(path, "x\n", 2);
    snprintf(out, sizeof(out), "%s/link", dir);
    ok(symlink("f", out) == 0, "symlink");
    is_str(test_read(out, 100, path, sizeof(path)), "ok:x\n", "a link to a regular file is read");
    unlink(out);
    snprintf(path, sizeof(path), "%s/f", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    char buf[1024], name[128];
    size_t i;

    for (i = 0; i < sizeof(test_walks) / sizeof(test_walks[0]); i++) {
        snprintf(name, sizeof(name), "walk %zu (max %zu)", i, test_walks[i].max);
        is_str(
            test_walk(test_walks[i].text, test_walks[i].len, test_walks[i].max, buf, sizeof(buf)),
            test_walks[i].want, name);
    }
    test_files();
    return done_testing();
}
