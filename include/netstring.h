/* netstring.h - netstring codec (pure: no I/O, works on pointer and length). */
#ifndef POLICYD_NETSTRING_H
#define POLICYD_NETSTRING_H

#include <stddef.h>

enum netstring_status {
    NETSTRING_ERROR = -1,    /* malformed or over the limit: close after answering */
    NETSTRING_NEED_MORE = 0, /* a valid prefix: wait for more bytes */
    NETSTRING_COMPLETE = 1,  /* one whole netstring decoded */
};

/*
 * Decode the netstring at the start of buf[0..len). A payload longer than `max`
 * is an error as soon as its length header is seen (before the payload arrives),
 * so is a length with more digits than `max` needs, a leading zero ("05:"), a
 * non-digit, an empty length, or a missing comma.
 * On COMPLETE: *payload points into buf, *payload_len is its length and *consumed
 * the bytes used (header, payload, comma). On ERROR: *why is a static reason.
 * Every proper prefix of a valid netstring is NEED_MORE ("0" included); the
 * empty netstring "0:," is valid. *payload, *payload_len, *consumed are set only
 * on COMPLETE, *why only on ERROR.
 */
int netstring_decode(const char *buf, size_t len, size_t max, const char **payload,
                     size_t *payload_len, size_t *consumed, const char **why);

/*
 * Encode data[0..len) as a netstring into dst. Like snprintf: returns the bytes the
 * whole netstring needs; writes only when that fits into dstsize (no NUL added).
 * If that size does not fit in a size_t, returns SIZE_MAX and writes nothing.
 */
size_t netstring_encode(char *dst, size_t dstsize, const char *data, size_t len);

/*
 * The same for the payload a[0..alen) followed by b[0..blen) (either may be empty),
 * without first joining them: a reply's status word and its data, for instance.
 */
size_t netstring_encode2(char *dst, size_t dstsize, const char *a, size_t alen, const char *b,
                         size_t blen);

#endif
