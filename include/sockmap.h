/* sockmap.h - socketmap request and reply codec (pure: no I/O, pointer and length). */
#ifndef POLICYD_SOCKMAP_H
#define POLICYD_SOCKMAP_H

#include <stddef.h>

/* The longest reply payload Postfix accepts (socketmap_table(5)). */
#define SOCKMAP_REPLY_MAX 100000

enum sockmap_map {
    SOCKMAP_MAP_OTHER,     /* not served: answered "PERM unknown map NAME" */
    SOCKMAP_MAP_TRANSPORT, /* the route for a recipient */
    SOCKMAP_MAP_EXPLAIN,   /* the route and why */
    SOCKMAP_MAP_DSN,       /* a delivery status "STATUS TEXT" (smtp_delivery_status_filter) */
};

/* One request "NAME KEY"; name and key point into the decoded payload (borrowed). */
struct sockmap_request {
    enum sockmap_map map;
    const char *name;
    size_t name_len;
    const char *key; /* may be empty, may contain spaces */
    size_t key_len;
};

/*
 * Split the netstring payload p[0..len) at its first space into NAME and KEY and
 * tell which map NAME is (case-sensitive, as Postfix sends it). Returns 0, or -1
 * when there is no space (*req untouched).
 */
int sockmap_request_parse(const char *p, size_t len, struct sockmap_request *req);

enum sockmap_status { SOCKMAP_OK, SOCKMAP_NOTFOUND, SOCKMAP_TEMP, SOCKMAP_PERM };

/*
 * Encode one reply netstring "STATUS DATA" into dst, like snprintf: returns the bytes
 * the whole netstring needs and writes only when that fits into dstsize (no NUL).
 * The payload never exceeds SOCKMAP_REPLY_MAX bytes (DATA is cut to fit), and OK is
 * never sent without data: Postfix takes "OK " with nothing after it for a lookup
 * failure, so an empty OK is encoded as "TEMP empty answer", the same outcome said
 * plainly. NOTFOUND ignores DATA ("NOTFOUND ").
 */
size_t sockmap_reply_encode(char *dst, size_t dstsize, enum sockmap_status st, const char *data,
                            size_t len);

#endif
