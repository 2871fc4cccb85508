/*
 * bproto.h - client-side wire codecs of the benchmark tools (socketmap netstrings, policy
 * replies, Redis RESP replies). Pure: no I/O, pointer+length in, hard limits.
 *
 * The benchmark does not link the daemon's own codecs on purpose: a load generator that
 * shares the parser of the server it measures would agree with that server's bugs. These
 * are deliberately small and strict, written from the protocol descriptions.
 */
#ifndef POLICYD_BENCH_BPROTO_H
#define POLICYD_BENCH_BPROTO_H

#include <stddef.h>

enum bproto_status {
    BPROTO_ERROR = -1,    /* malformed or over the limit */
    BPROTO_NEED_MORE = 0, /* a valid prefix: wait for more bytes */
    BPROTO_COMPLETE = 1,  /* one whole message decoded */
};

/* Kinds of Redis reply that bproto_resp_decode tells apart. */
enum bproto_resp_kind {
    BPROTO_RESP_STATUS, /* +OK */
    BPROTO_RESP_ERROR,  /* -ERR ... */
    BPROTO_RESP_INT,    /* :1 */
    BPROTO_RESP_BULK,   /* $3 foo */
    BPROTO_RESP_NIL,    /* $-1 */
};

/*
 * Decode the netstring at the start of buf[0..len) whose payload is at most `max` bytes.
 * On COMPLETE: *payload points into buf, *plen is its length, *consumed the bytes used.
 */
int bproto_netstring_decode(const char *buf, size_t len, size_t max, const char **payload,
                            size_t *plen, size_t *consumed);

/*
 * Decode one policy reply (name=value lines ended by an empty line, LF only) of at most
 * `max` bytes. On COMPLETE: *action and *alen is the value of the action attribute (the reply
 * must carry one), *consumed the bytes used including the empty line.
 */
int bproto_policy_reply_decode(const char *buf, size_t len, size_t max, const char **action,
                               size_t *alen, size_t *consumed);

/*
 * Decode one RESP reply (status, error, integer, bulk or nil; arrays are an error here) of
 * at most `max` payload bytes. On COMPLETE: *kind, *payload and *plen (the line or the bulk
 * data; empty for nil) and *consumed.
 */
int bproto_resp_decode(const char *buf, size_t len, size_t max, enum bproto_resp_kind *kind,
                       const char **payload, size_t *plen, size_t *consumed);

/*
 * Encode data[0..len) as a netstring into dst. Returns the bytes it needs; writes only when
 * that fits into dstsize.
 */
size_t bproto_netstring_encode(char *dst, size_t dstsize, const char *data, size_t len);

#endif
