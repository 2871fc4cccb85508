/* log.h - the one logging module: syslog or stderr, levels, escaping of peer data. */
#ifndef POLICYD_LOG_H
#define POLICYD_LOG_H

#include <stddef.h>

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

/* Map a syslog facility name ("mail", "local0", ...) to its value: 0 ok, -1 unknown. */
int log_facility_parse(const char *name, int *facility);

#endif
