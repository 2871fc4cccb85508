/*
 * arena.c - memory for large read-mostly sets (the rules): strings carved from
 * chunks that only grow, freed all at once, never one allocation per string; and
 * big blocks on 2 MB aligned huge pages, because random probes into a big table
 * otherwise spend their time on TLB misses.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"

#define ARENA_CHUNK_MIN 4096
#define ARENA_HUGE ((size_t)2 << 20)
#define ARENA_CHUNK_MAX (ARENA_HUGE - sizeof(struct arena_chunk))

/* One chunk; strings are carved from data[]. */
struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    char data[];
};

struct arena {
    struct arena_chunk *chunks; /* newest first */
};

/* Returns a new, empty arena. */
struct arena *arena_new(void)
{
    return calloc(1, sizeof(struct arena));
}

/*
 * Allocate size zeroed bytes. Blocks of 2 MB or more are 2 MB aligned and asked for
 * huge pages: random probes into a big table otherwise spend their time on TLB misses.
 */
void *arena_big_alloc(size_t size)
{
    size_t len = (size + ARENA_HUGE - 1) & ~(ARENA_HUGE - 1), head;
    char *p, *a;

    if (size < ARENA_HUGE)
        return calloc(1, size);
    if (len < size || len > SIZE_MAX - ARENA_HUGE)
        return NULL;
    p = mmap(NULL, len + ARENA_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    a = (char *)(((uintptr_t)p + ARENA_HUGE - 1) & ~(uintptr_t)(ARENA_HUGE - 1));
    head = (size_t)(a - p);
    if (head > 0)
        munmap(p, head);
    if (ARENA_HUGE - head > 0)
        munmap(a + len, ARENA_HUGE - head);
#ifdef MADV_HUGEPAGE
    (void)madvise(a, len, MADV_HUGEPAGE); /* only a hint */
#endif
    return a;
}

/* Free a block of arena_big_alloc(size); accepts NULL. */
void arena_big_free(void *p, size_t size)
{
    if (p == NULL)
        return;
    if (size < ARENA_HUGE)
        free(p);
    else
        munmap(p, (size + ARENA_HUGE - 1) & ~(ARENA_HUGE - 1));
}

/* Copy s[0..len) into the arena, NUL-terminated; NULL on allocation failure. */
char *arena_copy(struct arena *a, const char *s, size_t len)
{
    struct arena_chunk *c = a->chunks;
    char *p;

    if (len >= ARENA_CHUNK_MAX)
        return NULL; /* never happens for rules: lines are far shorter */
    if (c == NULL || c->size - c->used < len + 1) {
        size_t size = c ? (c->size + sizeof(*c)) * 2 - sizeof(*c) : ARENA_CHUNK_MIN;

        if (size > ARENA_CHUNK_MAX)
            size = ARENA_CHUNK_MAX;
        while (size < len + 1)
            size *= 2;
        c = arena_big_alloc(sizeof(*c) + size);
        if (c == NULL)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->chunks;
        a->chunks = c;
    }
    p = c->data + c->used;
    memcpy(p, s, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

/* Free the arena and every string in it; accepts NULL. */
void arena_free(struct arena *a)
{
    struct arena_chunk *c, *next;

    if (a == NULL)
        return;
    for (c = a->chunks; c != NULL; c = next) {
        next = c->next;
        arena_big_free(c, sizeof(*c) + c->size);
    }
    free(a);
}

/* Make room for element n of a growing array (see arena.h). */
int arena_grow(void **v, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *nv;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    if (ncap < *cap || ncap > SIZE_MAX / elem)
        return -1;
    nv = realloc(*v, ncap * elem);
    if (nv == NULL)
        return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}
