/*
 * sockmap.c - socketmap request and reply codec (pure: no I/O, pointer and length).
 * The netstring framing itself is netstring.c; this is what goes inside it.
 * Choices: the map name is matched case-sensitively (Postfix sends the name as the
 * administrator wrote it in main.cf, and "Transport" is a different map); an OK
 * without data becomes TEMP, which is what Postfix would make of it anyway.
 */
#include "config.h"

#include <string.h>

#include "netstring.h"
#include "sockmap.h"

/* Split "NAME KEY" at the first space; see sockmap.h. */
int sockmap_request_parse(const char *p, size_t len, struct sockmap_request *req)
{
    const char *sp = len > 0 ? memchr(p, ' ', len) : NULL;
    size_t nlen;

    if (sp == NULL)
        return -1;
    nlen = (size_t)(sp - p);
    req->name = p;
    req->name_len = nlen;
    req->key = sp + 1;
    req->key_len = len - nlen - 1;
    if (nlen == 9 && memcmp(p, "transport", 9) == 0)
        req->map = SOCKMAP_MAP_TRANSPORT;
    else if (nlen == 7 && memcmp(p, "explain", 7) == 0)
        req->map = SOCKMAP_MAP_EXPLAIN;
    else if (nlen == 3 && memcmp(p, "dsn", 3) == 0)
        req->map = SOCKMAP_MAP_DSN;
    else
        req->map = SOCKMAP_MAP_OTHER;
    return 0;
}

/* Encode one reply "STATUS DATA" as a netstring; see sockmap.h. */
size_t sockmap_reply_encode(char *dst, size_t dstsize, enum sockmap_status st, const char *data,
                            size_t len)
{
    static const char *const words[] = {"OK ", "NOTFOUND ", "TEMP ", "PERM "};
    const char *word;
    size_t wlen;

    if (st == SOCKMAP_OK && len == 0) {
        st = SOCKMAP_TEMP;
        data = "empty answer";
        len = 12;
    }
    if (st == SOCKMAP_NOTFOUND)
        len = 0;
    word = words[st];
    wlen = strlen(word);
    if (len > SOCKMAP_REPLY_MAX - wlen)
        len = SOCKMAP_REPLY_MAX - wlen; /* never more than Postfix accepts */
    return netstring_encode2(dst, dstsize, word, wlen, data, len);
}
