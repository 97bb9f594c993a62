/* t-strlist.c - lib/strlist.c: the list of strings, and str_printable. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "xmalloc.h"

static void
test_add_terminated(void **state)
{
	struct strlist	 l = STRLIST_INIT;
	char		 buf[] = "abcdef";

	(void)state;
	assert_null(l.v);
	strlist_add(&l, "one");
	assert_int_equal(l.n, 1);
	assert_null(l.v[1]);
	strlist_addn(&l, buf, 3);
	strlist_take(&l, xstrdup("two"));
	assert_int_equal(l.n, 3);
	assert_int_equal(strv_len(l.v), 3);
	assert_string_equal(l.v[1], "abc");
	buf[0] = 'X';		/* add copies */
	assert_string_equal(l.v[1], "abc");
	assert_null(l.v[3]);
	strlist_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void
test_grow(void **state)
{
	struct strlist	l;
	char		s[16];
	int		i;

	(void)state;
	strlist_init(&l);
	for (i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "k%04d", 999 - i);
		strlist_add(&l, s);
		assert_null(l.v[l.n]);
	}
	assert_int_equal(l.n, 1000);
	assert_false(l.sorted);
	assert_true(strlist_has(&l, "k0000"));
	assert_true(l.sorted);
	assert_string_equal(l.v[0], "k0000");
	assert_string_equal(l.v[999], "k0999");
	assert_true(strlist_has(&l, "k0500"));
	assert_false(strlist_has(&l, "k1000"));
	assert_false(strlist_has(&l, "k050"));
	/* adding in order keeps it sorted; out of order does not */
	strlist_add(&l, "k1000");
	assert_true(l.sorted);
	strlist_add(&l, "a");
	assert_false(l.sorted);
	assert_true(strlist_has(&l, "a"));
	assert_string_equal(l.v[0], "a");
	strlist_free(&l);
}

static void
test_find_steal(void **state)
{
	struct strlist	  l = STRLIST_INIT;
	char		**v;

	(void)state;
	assert_false(strlist_find(&l, "x"));
	assert_false(strlist_has(&l, "x"));
	v = strlist_steal(&l);		/* empty: { NULL } */
	assert_non_null(v);
	assert_null(v[0]);
	strv_free(v);
	strlist_add(&l, "b");
	strlist_add(&l, "a");
	assert_true(strlist_find(&l, "a"));
	assert_false(strlist_find(&l, "c"));
	assert_string_equal(l.v[0], "b");	/* find does not sort */
	v = strlist_steal(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "a");
	assert_null(v[2]);
	strv_free(v);
}

static void
test_printable(void **state)
{
	char	s[] = "a\tb\nc\x1b[31m\x7f" "d\xc3\xa9";

	(void)state;
	assert_ptr_equal(str_printable(s), s);
	assert_string_equal(s, "a?b?c?[31m?d\xc3\xa9");	/* UTF-8 kept */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_terminated),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_find_steal),
		cmocka_unit_test(test_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
