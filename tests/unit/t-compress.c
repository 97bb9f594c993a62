#include "autoconfig.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
static void t_none(void **s) { (void)s; }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(t_none) }; return cmocka_run_group_tests(t, NULL, NULL); }
