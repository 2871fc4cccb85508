/* log.h - the one logging module: syslog or stderr, levels, escaping of peer data. */
#ifndef POLICYD_LOG_H
#define POLICYD_LOG_H

#include <stddef.h>
#include <time.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* Route messages to syslog (with this facility, ident "policyd") or stderr. */
void log_open(enum log_target target, int facility);

/* Set how chatty debug logging is: 0 = none, each -v adds one. */
void log_set_verbosity(int verbosity);

/*
 * Format strings are always literals of ours; anything that came from the network
 * goes through log_escape first and is passed as a "%s" argument.
 */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug message shown when the verbosity is at least `level`. */
void log_debug(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Copy src[0..len) into dst as printable ASCII: bytes outside 0x20..0x7e and the
 * backslash become \xHH. Output is cut (ending in "...") when it does not fit.
 * dst is always NUL-terminated (dstsize > 0). Returns dst.
 */
char *log_escape(char *dst, size_t dstsize, const char *src, size_t len);

/*
 * The same for text from the administrator's own files in a FILE:LINE message (a
 * regex reads as written): a backslash is kept as is. Never for peer data.
 */
char *log_escape_file(char *dst, size_t dstsize, const char *src, size_t len);

/*
 * A rate limit for one kind of log line: at most one line a second, the others counted
 * and mentioned in the next line that passes (or in a summary, see log_limit_flush).
 * Zero-initialise it.
 */
struct log_limit {
    time_t second;       /* when the last line passed */
    unsigned long quiet; /* lines kept quiet since then */
};

/*
 * Whether a line may be logged at `now`: 1, with *quiet set to the number of lines kept
 * quiet since the last one passed (to be mentioned in this one), or 0 (it is counted).
 */
int log_limit_pass(struct log_limit *l, time_t now, unsigned long *quiet);

/*
 * For a periodic summary: the number of lines kept quiet when the second of the last
 * line that passed is over (the count starts again), else 0.
 */
unsigned long log_limit_flush(struct log_limit *l, time_t now);

/* Map a syslog facility name ("mail", "local0", ...) to its value: 0 ok, -1 unknown. */
int log_facility_parse(const char *name, int *facility);

#endif
