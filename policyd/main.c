/* main.c - PLACEHOLDER. */
#include "config.h"
int main(void) { return 1; }
