/* routes.c - PLACEHOLDER, replaced by the config work. */
#include "config.h"
#include <stdlib.h>
#include "routes.h"
struct routes { int n; };
struct routes *routes_new(void) { return calloc(1, sizeof(struct routes)); }
void routes_free(struct routes *r) { free(r); }
int routes_check_name(const char *name, size_t len, char *err, size_t errsize) { return -1; }
int routes_check_result(const char *s, size_t len, char *err, size_t errsize) { return -1; }
int routes_define(struct routes *r, const char *name, const char *result, char *err, size_t errsize) { return -1; }
size_t routes_count(const struct routes *r) { return 0; }
const char *routes_get(const struct routes *r, const char *name, size_t len) { return NULL; }
int routes_resolve(const struct routes *r, const char *token, size_t len, const char **result,
                   size_t *result_len, char *err, size_t errsize) { return -1; }
