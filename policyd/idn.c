/*
 * idn.c - internationalised domain names to their A-label form (libidn2, UTS #46).
 *
 * Choices the specification left open:
 *  - Non-transitional processing with NFC input (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT),
 *    as Postfix's SMTP client delivers: "faß.de" is xn--fa-hia.de, not fass.de.
 *  - Only names holding a non-ASCII byte are converted; an ASCII name (including one
 *    written with xn-- labels) is used as it is, so ASCII lookups never call libidn2.
 *  - libidn2 accepts empty labels ("a..ü.de"); policyd refuses them itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "idn.h"

/* Does dom[0..len) hold a byte outside ASCII? */
int idn_is_ascii(const char *dom, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if ((unsigned char)dom[i] >= 0x80)
            return 0;
    return 1;
}

/* Is there an empty label in dom[0..len): a leading, trailing or doubled dot? */
static int idn_empty_label(const char *dom, size_t len)
{
    size_t i;

    if (len == 0 || dom[0] == '.' || dom[len - 1] == '.')
        return 1;
    for (i = 1; i < len; i++)
        if (dom[i] == '.' && dom[i - 1] == '.')
            return 1;
    return 0;
}

/* Convert a UTF-8 domain to its A-label form; see idn.h. */
int idn_to_alabel(const char *dom, size_t len, char *out, size_t outsize, size_t *outlen, char *err,
                  size_t errlen)
{
    char in[4 * IDN_DOMAIN_MAX + 1];
    uint8_t *res = NULL;
    size_t n, i;
    int rc;

    if (idn_empty_label(dom, len)) {
        snprintf(err, errlen, "empty label");
        return -1;
    }
    if (len >= sizeof(in) || memchr(dom, '\0', len) != NULL) {
        snprintf(err, errlen, "%s", len >= sizeof(in) ? "name too long" : "NUL byte");
        return -1;
    }
    memcpy(in, dom, len);
    in[len] = '\0';
    rc = idn2_lookup_u8((const uint8_t *)in, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        snprintf(err, errlen, "%s", idn2_strerror(rc));
        return -1;
    }
    n = strlen((const char *)res);
    if (n > IDN_DOMAIN_MAX || n >= outsize) {
        idn2_free(res);
        snprintf(err, errlen, "name too long");
        return -1;
    }
    for (i = 0; i < n; i++)
        out[i] = res[i] >= 'A' && res[i] <= 'Z' ? (char)(res[i] - 'A' + 'a') : (char)res[i];
    out[n] = '\0';
    *outlen = n;
    idn2_free(res);
    return 0;
}

/* A pattern with its domain in A-label form; see idn.h. */
int idn_pattern(const char *pattern, size_t len, char *buf, size_t size, const char **out,
                size_t *out_len, char *err, size_t errlen)
{
    const char *at = memchr(pattern, '@', len);
    size_t mx = len > 3 && memcmp(pattern, "mx:", 3) == 0 ? 3 : 0, dlen;
    size_t head = at ? (size_t)(at + 1 - pattern) : mx + (len > mx && pattern[mx] == '.');

    *out = pattern;
    *out_len = len;
    if (idn_is_ascii(pattern, len))
        return 0;
    if (len > head + 1 && pattern[len - 1] == '.')
        len--;
    if (size < IDN_DOMAIN_MAX + 1 || head > size - IDN_DOMAIN_MAX - 1) {
        snprintf(err, errlen, "pattern too long");
        return -1;
    }
    if (idn_to_alabel(pattern + head, len - head, buf + head, size - head, &dlen, err, errlen) < 0)
        return -1;
    memcpy(buf, pattern, head);
    *out = buf;
    *out_len = head + dlen;
    return 0;
}
