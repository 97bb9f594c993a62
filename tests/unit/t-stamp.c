/* t-stamp.c - builder/stamp.c: changelog parsing, version stamping and
 * bumping, changelog entries; builder/watch-git.c: inputs strings;
 * builder/git-creds.c: the Credentials file. */
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
#include <time.h>
#include <unistd.h>

#include "../../builder/builder.h"
#include "version.h"
#include "xmalloc.h"

/* 2026-11-22 01:30:05 UTC */
#define T0	((time_t)1795311005)

static void
test_changelog_parse(void **state)
{
	struct changelog_top	top;
	struct dp_error		err;

	(void)state;
	assert_int_equal(stamp_changelog_parse("hello (2.10-3) unstable; "
	    "urgency=medium\n\n  * x\n\n -- A <a@b>  Sun, 01 Nov 2026 "
	    "00:00:00 +0000\n", &top, &err), 0);
	assert_string_equal(top.source, "hello");
	assert_string_equal(top.version, "2.10-3");
	assert_string_equal(top.dist, "unstable");
	changelog_top_done(&top);

	/* leading blank lines, epoch, several distributions */
	assert_int_equal(stamp_changelog_parse("\n\nlibfoo1 (1:0.9~rc1) "
	    "bookworm-security experimental; urgency=high\n", &top, &err), 0);
	assert_string_equal(top.source, "libfoo1");
	assert_string_equal(top.version, "1:0.9~rc1");
	assert_string_equal(top.dist, "bookworm-security experimental");
	changelog_top_done(&top);
}

static void
test_changelog_broken(void **state)
{
	struct changelog_top	top;
	struct dp_error		err;

	(void)state;
	assert_int_equal(stamp_changelog_parse("", &top, &err), -1);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(stamp_changelog_parse("\n\n  \n", &top, &err), -1);
	assert_int_equal(stamp_changelog_parse("this is not a changelog\n",
	    &top, &err), -1);
	assert_non_null(strstr(err.msg, "debian/changelog:1:"));
	assert_int_equal(stamp_changelog_parse("\nhello (abc) unstable; "
	    "urgency=low\n", &top, &err), -1);
	assert_non_null(strstr(err.msg, "debian/changelog:2: invalid "
	    "version 'abc'"));
	assert_int_equal(stamp_changelog_parse("Hello_World (1.0) unstable; "
	    "urgency=low\n", &top, &err), -1);
	assert_non_null(strstr(err.msg, "invalid source package name"));
	assert_int_equal(stamp_changelog_parse("hello (1.0) ; urgency=low\n",
	    &top, &err), -1);
	assert_non_null(strstr(err.msg, "no distribution"));
	assert_int_equal(stamp_changelog_parse("hello (1.0 unstable\n", &top,
	    &err), -1);
}

static void
test_git_version(void **state)
{
	char *v;

	(void)state;
	v = stamp_git_version("2.10-3", T0,
	    "abcdef0123456789abcdef0123456789abcdef01");
	assert_string_equal(v, "2.10-3+git20261122013005.abcdef0");
	assert_true(stamp_version_valid(v));
	assert_true(version_compare(v, "2.10-3") > 0);
	assert_true(version_compare(v, "2.10-4") < 0);
	free(v);
	v = stamp_git_version("1:1.0", T0, "0123456789");
	assert_string_equal(v, "1:1.0+git20261122013005.0123456");
	free(v);
}

static void
test_version_above(void **state)
{
	char	*v;
	char	*prev1[] = { "1.0+git20261122013005.aaaaaaa", NULL };
	char	*prev2[] = { "1.0+git20261122013005.aaaaaaa",
	    "1.0+git20261101000000.bbbbbbb", NULL };
	char	*prev3[] = { "2.0+git20261122013005.aaaaaaa", NULL };
	char	*prev4[] = { "3.0-1", NULL };

	(void)state;
	/* nothing before: the candidate */
	v = stamp_version_above("1.0+git20261122013005.aaaaaaa", "aaaaaaa",
	    NULL);
	assert_string_equal(v, "1.0+git20261122013005.aaaaaaa");
	free(v);

	/* newer commit: the candidate */
	v = stamp_version_above("1.0+git20261123000000.ccccccc", "ccccccc",
	    prev2);
	assert_string_equal(v, "1.0+git20261123000000.ccccccc");
	free(v);

	/* the same version again (rebuild by hand): one second later */
	v = stamp_version_above("1.0+git20261122013005.aaaaaaa", "aaaaaaa",
	    prev1);
	assert_string_equal(v, "1.0+git20261122013006.aaaaaaa");
	free(v);

	/* an older commit (branch reset): one second after the highest */
	v = stamp_version_above("1.0+git20261101000000.ddddddd", "ddddddd",
	    prev2);
	assert_string_equal(v, "1.0+git20261122013006.ddddddd");
	assert_true(version_compare(v, prev2[0]) > 0);
	free(v);

	/* the changelog version went down: keep the higher base */
	v = stamp_version_above("1.5+git20261201000000.eeeeeee", "eeeeeee",
	    prev3);
	assert_string_equal(v, "2.0+git20261201000000.eeeeeee");
	free(v);

	/* highest not in our form: append */
	v = stamp_version_above("2.0+git20261201000000.fffffff", "fffffff",
	    prev4);
	assert_string_equal(v, "3.0-1+git20261201000000.fffffff");
	assert_true(version_compare(v, "3.0-1") > 0);
	assert_true(stamp_version_valid(v));
	free(v);

	/*
	 * Found by fuzz-changelog: a candidate with an epoch below a
	 * highest not in our form.  Appending it whole would leave a colon
	 * that reads as an epoch, so the result sorted below the highest.
	 */
	{
		char *prev5[] = { "3.13+git2026115337892unstabldi", NULL };

		v = stamp_version_above("0:3+git20261102030+05.abcdef0",
		    "abcdef0", prev5);
		assert_true(version_compare(v, prev5[0]) > 0);
		assert_int_equal(version_validate(v, NULL), 0);
		free(v);
		v = stamp_version_above("1:2:3", "abcdef0", prev5);
		assert_true(version_compare(v, prev5[0]) > 0);
		assert_int_equal(version_validate(v, NULL), 0);
		free(v);
	}
}

static void
test_entry(void **state)
{
	char	*lines[] = { "Automatic build.", "Merged fix.", NULL };
	char	*e, date[64];

	(void)state;
	stamp_rfc2822(T0, date, sizeof(date));
	assert_string_equal(date, "Sun, 22 Nov 2026 01:30:05 +0000");
	e = stamp_entry("hello", "1.0+git20261122013005.abcdef0", "bookworm",
	    "Build Bot <bot@example.org>", T0, lines);
	assert_string_equal(e,
	    "hello (1.0+git20261122013005.abcdef0) bookworm; urgency=medium\n"
	    "\n"
	    "  * Automatic build.\n"
	    "  * Merged fix.\n"
	    "\n"
	    " -- Build Bot <bot@example.org>  Sun, 22 Nov 2026 01:30:05 +0000\n"
	    "\n");
	free(e);
}

static void
test_inputs(void **state)
{
	struct conf_merge	 merges[2] = {
	    { "u1", "b1" }, { "u2", "b2" } };
	struct conf_watch	 w;
	struct gitw_heads	 h, back;
	struct dp_error		 err;
	char			*s;
	char			*m[] = {
	    "1111111111111111111111111111111111111111",
	    "2222222222222222222222222222222222222222", NULL };

	(void)state;
	memset(&w, 0, sizeof(w));
	w.name = "w";
	w.merges = merges;
	w.nmerges = 2;
	memset(&h, 0, sizeof(h));
	h.head = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
	h.merges = m;
	h.nmerges = 2;
	s = gitw_inputs_format(&h);
	assert_string_equal(s, "head=abcdefabcdefabcdefabcdefabcdefabcdefabcd "
	    "merge1=1111111111111111111111111111111111111111 "
	    "merge2=2222222222222222222222222222222222222222");
	assert_int_equal(gitw_inputs_parse(s, &w, &back, &err), 0);
	assert_string_equal(back.head, h.head);
	assert_int_equal(back.nmerges, 2);
	assert_string_equal(back.merges[1], m[1]);
	gitw_heads_done(&back);

	/* the watch lost a Merge line since */
	w.nmerges = 1;
	assert_int_equal(gitw_inputs_parse(s, &w, &back, &err), -1);
	assert_non_null(strstr(err.msg, "Merge list changed"));
	w.nmerges = 2;
	assert_int_equal(gitw_inputs_parse("head=xyz", &w, &back, &err), -1);
	free(s);
}

static void
test_mirror_path(void **state)
{
	struct config	 cfg;
	char		*a, *b, *c;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = "/s";
	a = gitw_mirror_path(&cfg,
	    "https://salsa.debian.org/debian/hello.git");
	assert_int_equal(strncmp(a,
	    "/s/git/salsa.debian.org_debian_hello.git-", 41), 0);
	assert_int_equal(strlen(a), 41 + 10 + 4);
	assert_string_equal(a + strlen(a) - 4, ".git");
	/* The user info never reaches the file system. */
	b = gitw_mirror_path(&cfg, "https://bot:s3cret@host/x.git");
	assert_null(strstr(b, "s3cret"));
	assert_int_equal(strncmp(b, "/s/git/host_x.git-", 18), 0);
	/* Different URLs, different mirrors; nothing unsafe in the name. */
	c = gitw_mirror_path(&cfg, "file:///../../etc");
	assert_string_not_equal(a, c);
	assert_null(strstr(c + 7, ".."));
	assert_null(strchr(c + 7, '/'));
	free(a);
	free(b);
	free(c);
}

/* Write text to dir/name with mode; load it. */
static int
creds_load(const char *dir, const char *text, mode_t mode,
    struct gitw_creds *cs, char *path, size_t size)
{
	struct dp_error	 err;
	FILE		*fp;

	snprintf(path, size, "%s/credentials", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	memset(cs, 0, sizeof(*cs));
	cs->file = path;
	return gitw_creds_load(cs, &err);
}

static void
test_git_creds(void **state)
{
	struct gitw_creds	 cs;
	char			 dir[] = "/tmp/t-stamp.XXXXXX", path[256];
	char			 want[300];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(creds_load(dir, "# bot\nUsername: builder\n"
	    "Token: t0k\nSSH-Key: keys/id\nSSH-Public-Key: /etc/k.pub\n",
	    0600, &cs, path, sizeof(path)), 0);
	assert_string_equal(cs.username, "builder");
	assert_string_equal(cs.password, "t0k");
	snprintf(want, sizeof(want), "%s/keys/id", dir);
	assert_string_equal(cs.ssh_key, want);	/* the file's directory */
	assert_string_equal(cs.ssh_pubkey, "/etc/k.pub");
	assert_null(cs.passphrase);
	gitw_creds_done(&cs);
	assert_null(cs.password);

	/* The first paragraph only (found by reading fuzz-creds' target:
	 * a second one overwrote, and leaked, the first's values). */
	assert_int_equal(creds_load(dir, "Username: first\nPassword: one\n"
	    "\nUsername: second\nPassword: two\nSSH-Key: k\n", 0600, &cs,
	    path, sizeof(path)), 0);
	assert_string_equal(cs.username, "first");
	assert_string_equal(cs.password, "one");
	assert_null(cs.ssh_key);
	gitw_creds_done(&cs);

	/* Readable by others: refused. */
	assert_int_equal(creds_load(dir, "Password: x\n", 0604, &cs, path,
	    sizeof(path)), -1);
	gitw_creds_done(&cs);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changelog_parse),
		cmocka_unit_test(test_changelog_broken),
		cmocka_unit_test(test_git_version),
		cmocka_unit_test(test_version_above),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_mirror_path),
		cmocka_unit_test(test_git_creds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
