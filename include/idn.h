/* idn.h - internationalised domain names to their A-label form (libidn2, UTS #46). */
#ifndef POLICYD_IDN_H
#define POLICYD_IDN_H

#include <stddef.h>

/* Longest A-label domain we produce (without the NUL). */
#define IDN_DOMAIN_MAX 253

/* Does dom[0..len) hold a byte outside ASCII (so that it needs idn_to_alabel)? */
int idn_is_ascii(const char *dom, size_t len);

/*
 * Convert the UTF-8 domain dom[0..len) (no trailing dot) to its lowercase A-label form
 * the way Postfix's SMTP client does (UTS #46 non-transitional processing, NFC input):
 * "Bücher.DE" -> "xn--bcher-kva.de". out (outsize > IDN_DOMAIN_MAX) gets the result,
 * NUL-terminated, and *outlen its length. An empty label (leading, trailing or double
 * dot) is refused before libidn2 sees it. Returns 0, or -1 with a message in err
 * (invalid UTF-8, disallowed character, label or name too long, empty label).
 */
int idn_to_alabel(const char *dom, size_t len, char *out, size_t outsize, size_t *outlen, char *err,
                  size_t errlen);

/*
 * A rule or override pattern with its domain in A-label form: "bücher.de",
 * ".bücher.de." and "u@bücher.de" become "xn--bcher-kva.de", ".xn--bcher-kva.de" and
 * "u@xn--bcher-kva.de" (the domain is what follows the first '@', or a leading
 * "mx:" and/or '.'; one trailing dot is dropped). The caller keeps regexes away. An ASCII pattern
 * is left as it is: *out = pattern. Otherwise *out = buf (size > IDN_DOMAIN_MAX + the prefix). 0,
 * or -1 with err.
 */
int idn_pattern(const char *pattern, size_t len, char *buf, size_t size, const char **out,
                size_t *out_len, char *err, size_t errlen);

#endif
