/* log.c - syslog or stderr logging with levels; escaping of anything from the network. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum log_target log_target_now = LOG_TARGET_STDERR;
static int log_verbosity_now;

/* Switch the destination; syslog is opened here so chroot or privilege drops do not matter. */
void log_open(enum log_target target, int facility)
{
    if (log_target_now == LOG_TARGET_SYSLOG)
        closelog();
    log_target_now = target;
    if (target == LOG_TARGET_SYSLOG)
        openlog("policyd", LOG_PID | LOG_NDELAY, facility);
}

/* Set the debug verbosity (number of -v). */
void log_set_verbosity(int verbosity)
{
    log_verbosity_now = verbosity;
}

/* Emit one message at a syslog priority to the current target. */
static void log_emit(int priority, const char *fmt, va_list ap)
{
    static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                        "warning", "notice", "info", "debug"};
    char msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (log_target_now == LOG_TARGET_SYSLOG) {
        syslog(priority, "%s", msg);
        return;
    }
    fprintf(stderr, "policyd: %s: %s\n", names[priority & 7], msg);
}

/* Log an error. */
void log_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_ERR, fmt, ap);
    va_end(ap);
}

/* Log a warning. */
void log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_WARNING, fmt, ap);
    va_end(ap);
}

/* Log an informational message. */
void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_INFO, fmt, ap);
    va_end(ap);
}

/* Log a debug message when verbosity allows. */
void log_debug(int level, const char *fmt, ...)
{
    va_list ap;

    if (log_verbosity_now < level)
        return;
    va_start(ap, fmt);
    log_emit(LOG_DEBUG, fmt, ap);
    va_end(ap);
}

/* Bytes the escaped form of c takes (a backslash is escaped unless kept). */
static size_t log_escaped_len(unsigned char c, int keep_backslash)
{
    return (c >= 0x20 && c < 0x7f && (c != '\\' || keep_backslash)) ? 1 : 4;
}

/* Copy bytes as printable ASCII with \xHH escapes, cut with "..." when too long. */
static char *log_escape_bytes(char *dst, size_t dstsize, const char *src, size_t len, int keep)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i, total = 0, limit;

    if (dstsize == 0)
        return dst;
    for (i = 0; i < len && total < dstsize; i++)
        total += log_escaped_len((unsigned char)src[i], keep);
    /* Everything fits: all of it. Else as many whole escapes as leave room for "...". */
    limit = total < dstsize ? dstsize - 1 : (dstsize >= 4 ? dstsize - 4 : dstsize - 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];

        if (o + log_escaped_len(c, keep) > limit)
            break;
        if (log_escaped_len(c, keep) == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    if (i < len && o + 3 < dstsize) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

/* Copy peer bytes as printable ASCII with \xHH escapes (the backslash too). */
char *log_escape(char *dst, size_t dstsize, const char *src, size_t len)
{
    return log_escape_bytes(dst, dstsize, src, len, 0);
}

/* Copy text of our own files for a message: as log_escape, backslashes kept. */
char *log_escape_file(char *dst, size_t dstsize, const char *src, size_t len)
{
    return log_escape_bytes(dst, dstsize, src, len, 1);
}

/* One line a second passes; the others are counted. */
int log_limit_pass(struct log_limit *l, time_t now, unsigned long *quiet)
{
    if (now == l->second) {
        l->quiet++;
        return 0;
    }
    *quiet = l->quiet;
    l->second = now;
    l->quiet = 0;
    return 1;
}

/* Hand over the quiet count once its second is over. */
unsigned long log_limit_flush(struct log_limit *l, time_t now)
{
    unsigned long n = l->quiet;

    if (n == 0 || now == l->second)
        return 0;
    l->quiet = 0;
    return n;
}

/* Map a facility name to its syslog value. */
int log_facility_parse(const char *name, int *facility)
{
    static const struct {
        const char *name;
        int value;
    } table[] = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcasecmp(name, table[i].name) == 0) {
            *facility = table[i].value;
            return 0;
        }
    }
    return -1;
}
