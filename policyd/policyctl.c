/* policyctl.c - the operator tool (in progress). */
#include "config.h"
int main(void)
{
    return 2;
}
