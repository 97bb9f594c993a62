/* t-tokens.c - the promoter's Tokens-File: parsing, hashed tokens, roles,
 * errors with file:line, the permission check. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "promoter.h"
#include "xmalloc.h"

/* printf %s my-secret | sha256sum */
#define MY_SECRET_HEX \
	"186ef76e9d6a723ecb570d4d9c287487d001e5d35f7ed4a313350a407950318e"

static void
test_parse_roles(void **state)
{
	struct tokens	*t = NULL;
	struct dp_error	 err;
	const char	*name;

	(void)state;
	assert_int_equal(tokens_parse("tok", "# comment\n\n"
	    "rep-token reporter ci   # trailing comment\n"
	    "\tadm-token\tadmin\talice\r\n", &t, &err), 0);
	assert_int_equal(t->n, 2);
	assert_int_equal(tokens_check(t, "rep-token", &name), ROLE_REPORTER);
	assert_string_equal(name, "ci");
	assert_int_equal(tokens_check(t, "adm-token", &name), ROLE_ADMIN);
	assert_string_equal(name, "alice");
	assert_int_equal(tokens_check(t, "adm-toke", &name), ROLE_NONE);
	assert_null(name);
	assert_int_equal(tokens_check(t, "", NULL), ROLE_NONE);
	assert_int_equal(tokens_check(t, NULL, NULL), ROLE_NONE);
	assert_int_equal(tokens_check(NULL, "adm-token", NULL), ROLE_NONE);
	tokens_free(t);
}

static void
test_hashed(void **state)
{
	struct tokens	*t = NULL;
	struct dp_error	 err;
	const char	*name;
	char		*upper;
	size_t		 i;

	(void)state;
	assert_int_equal(tokens_parse("tok", "sha256:" MY_SECRET_HEX
	    " admin carol\n", &t, &err), 0);
	assert_int_equal(tokens_check(t, "my-secret", &name), ROLE_ADMIN);
	assert_string_equal(name, "carol");
	/* The hash itself is not a token. */
	assert_int_equal(tokens_check(t, MY_SECRET_HEX, NULL), ROLE_NONE);
	assert_int_equal(tokens_check(t, "sha256:" MY_SECRET_HEX, NULL),
	    ROLE_NONE);
	tokens_free(t);

	/* Upper-case hex is the same digest. */
	upper = xasprintf("sha256:%s reporter dave\n", MY_SECRET_HEX);
	for (i = 7; upper[i] != ' '; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] -= 'a' - 'A';
	assert_int_equal(tokens_parse("tok", upper, &t, &err), 0);
	assert_int_equal(tokens_check(t, "my-secret", NULL), ROLE_REPORTER);
	tokens_free(t);
	free(upper);
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} bad[] = {
		{ "tok admin\n", "tok:1: expected \"TOKEN ROLE NAME\"" },
		{ "\n\ntok admin alice extra\n", "tok:3: expected" },
		{ "tok root alice\n", "tok:1: unknown role \"root\"" },
		{ "tok admin -alice\n", "tok:1: bad name" },
		{ "sha256:abcd admin alice\n", "tok:1: sha256: needs 64 hex" },
		{ "a admin alice\nb reporter bob\na reporter carol\n",
		  "tok:3: the token of carol is listed again" },
	};
	struct tokens	*t;
	struct dp_error	 err;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = NULL;
		dp_error_clear(&err);
		assert_int_equal(tokens_parse("tok", bad[i].text, &t, &err),
		    -1);
		assert_null(t);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
			    bad[i].msg);
	}
}

static void
test_load_mode(void **state)
{
	char		 dir[] = "/tmp/t-tokens.XXXXXX", *path;
	struct tokens	*t = NULL;
	struct dp_error	 err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = fs_join(dir, "tokens");
	assert_int_equal(fs_write_atomic(path, "x reporter ci\n", 14, 0644,
	    &err), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(tokens_load(path, &t, &err), -1);
	assert_int_equal(err.code, DP_ERR_PERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(tokens_load(path, &t, &err), 0);
	assert_int_equal(tokens_check(t, "x", NULL), ROLE_REPORTER);
	tokens_free(t);
	t = NULL;
	unlink(path);
	assert_int_equal(tokens_load(path, &t, &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roles),
		cmocka_unit_test(test_hashed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
