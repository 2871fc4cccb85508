/* cfg.c - PLACEHOLDER, replaced by the config work. */
#include "config.h"
#include "cfg.h"
struct cfg *cfg_parse(const char *name, const char *text, size_t len, struct diag *d) { diag_error(d, name, 0, "not implemented"); return NULL; }
struct cfg *cfg_load(const char *path, struct diag *d) { diag_error(d, path, 0, "not implemented"); return NULL; }
void cfg_free(struct cfg *c) { (void)c; }
int cfg_parse_duration(const char *s, unsigned long long *ms) { return -1; }
