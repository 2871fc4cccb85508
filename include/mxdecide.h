/*
 * mxdecide.h - the DNS step of a decision: decide, and when an MX pattern needs the
 * recipient domain's MX, look it up (dns.h) and decide again once it is known.
 */
#ifndef POLICYD_MXDECIDE_H
#define POLICYD_MXDECIDE_H

#include "addr.h"
#include "decide.h"
#include "dns.h"
#include "overrides.h"
#include "snapshot.h"

struct mxdecide;

/* Called once with the final decision of a lookup that waited (borrowed for the call). */
typedef void (*mxdecide_done)(void *arg, const struct decision *dec);

/* The step over dns (borrowed) and the override view ov (borrowed, may be NULL). */
struct mxdecide *mxdecide_new(struct dns *dns, const struct overrides *ov);
/* Accepts NULL. Free the dns (which answers every waiting lookup) before this. */
void mxdecide_free(struct mxdecide *m);

/*
 * Decide key under snap (both borrowed, and they must stay valid until done is
 * called). Returns 0 when *dec holds the decision now, or 1 when it waits for DNS:
 * done(arg, dec) is then called exactly once, later, from the event loop (also when
 * the resolver shuts down: with a DNS failure). A key whose domain has no A-label
 * form is logged here.
 */
int mxdecide_decide(struct mxdecide *m, struct snapshot *snap, const struct addr *key,
                    struct decision *dec, mxdecide_done done, void *arg);

#endif
