/* arena.h - strings in growing chunks freed at once, and big blocks on huge pages. */
#ifndef POLICYD_ARENA_H
#define POLICYD_ARENA_H

#include <stddef.h>

struct arena;

/* Returns a new, empty arena (NULL on allocation failure). */
struct arena *arena_new(void);
/* Free the arena and every string carved from it; accepts NULL. */
void arena_free(struct arena *a);

/*
 * Copy s[0..len) into the arena, NUL-terminated (len under 2 MB). The copy lives
 * until arena_free. NULL on allocation failure.
 */
char *arena_copy(struct arena *a, const char *s, size_t len);

/*
 * Make room for element n of the array *v of *cap elements of elem bytes: doubles
 * *cap (from 16) when n reaches it. 0, or -1 on overflow or allocation failure (*v
 * and *cap unchanged).
 */
int arena_grow(void **v, size_t *cap, size_t n, size_t elem);

/*
 * Allocate size zeroed bytes; blocks of 2 MB or more are 2 MB aligned and asked for
 * huge pages. Free with arena_big_free and the same size. NULL on failure.
 */
void *arena_big_alloc(size_t size);
/* Free a block of arena_big_alloc(size); accepts NULL. */
void arena_big_free(void *p, size_t size);

#endif
