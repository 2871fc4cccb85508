/* addr.h - lookup key normalisation (pure). */
#ifndef POLICYD_ADDR_H
#define POLICYD_ADDR_H

#include <stddef.h>

/*
 * A normalised lookup key. All pointers point into the caller's buffer given to
 * addr_parse and are NOT NUL-terminated: always use the lengths.
 */
struct addr {
    const char *address; /* "local@domain", lowercased, extension removed; NULL for a bare domain */
    size_t address_len;
    const char *local; /* local part, unquoted, lowercased, extension removed (inside address) */
    size_t local_len;
    const char *domain; /* lowercased, trailing dot removed (inside address, or alone) */
    size_t domain_len;
    int wildcard; /* the key was exactly "*" (Postfix's wildcard probe); nothing else set */
};

/*
 * Normalise key[0..len) the way rules and overrides compare it:
 *  - ASCII lowercase everything (bytes >= 0x80, e.g. UTF-8, are left alone);
 *  - the domain is what follows the last '@' (or the whole key without one),
 *    with one trailing dot removed ("x@aol.com." -> "aol.com"; "aol.com.." keeps one);
 *  - a quoted local part ("x y"@dom) is unquoted (backslash escapes resolved) when
 *    the whole local part is one quoted string; a quote anywhere else is an
 *    ordinary character. So Postfix's external form ("x y"@dom) and its internal
 *    form (x y@dom) give the same key;
 *  - the extension is removed from the (unquoted) local part: from the first '+'
 *    on, unless '+' is its first character, in which case nothing is removed
 *    ("+a+b@dom" stays whole, as Postfix's split_addr does); "u+@dom" -> "u@dom";
 *  - spaces are kept as they are (a key may contain spaces).
 * An empty local part ("@aol.com", or ""@aol.com once unquoted) is treated as a
 * bare domain: address and local NULL, domain set. The key "*" alone sets only
 * wildcard = 1; "*" inside a longer key is an ordinary character.
 * buf must hold at least len + 1 bytes and must not overlap key; nothing is
 * NUL-terminated. Returns 0, or -1 when the key cannot name a recipient (empty key,
 * empty domain as in "user@" or "user@.", bufsize < len + 1, NUL byte); on -1
 * *out is zeroed.
 */
int addr_parse(const char *key, size_t len, char *buf, size_t bufsize, struct addr *out);

#endif
