/* rules.c - PLACEHOLDER, replaced by the rules work. */
#include "config.h"
#include <stdlib.h>
#include "rules.h"
struct rules { int n; };
struct rules *rules_new(void) { return calloc(1, sizeof(struct rules)); }
void rules_free(struct rules *r) { free(r); }
int rules_add_files(struct rules *r, const char *pattern, const struct routes *routes, struct diag *d) { diag_error(d, pattern, 0, "not implemented"); return -1; }
int rules_add_buffer(struct rules *r, const char *name, const char *text, size_t len, const struct routes *routes, struct diag *d) { diag_error(d, name, 0, "not implemented"); return -1; }
int rules_finish(struct rules *r, struct diag *d) { return 0; }
size_t rules_count(const struct rules *r) { return 0; }
size_t rules_file_count(const struct rules *r) { return 0; }
int rules_match(const struct rules *r, const struct addr *key, struct rule_hit *hit) { return 0; }
