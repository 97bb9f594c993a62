/*
 * t-upstream.c - the apt upstream client (lib/upstream.c) on a file://
 * repository signed with keys made in throwaway gnupg homes: InRelease
 * and Release + Release.gpg verified against the watch's keyring (wrong
 * key, tampered text, unsigned, other suite, expired refused), indexes
 * checked against the signed sums; and the Packages parser of Type: apt
 * watches (builder/watch-apt.c): the fields of several stanzas (through
 * a dry-run sync: what it would import), selection, bad input refused
 * with a message naming the index, line and package.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "sign.h"
#include "upstream.h"
#include "xmalloc.h"

#include "../../builder/builder.h"

/* Two packages (hello in two versions, for amd64 and all) and libfoo. */
static const char PACKAGES[] =
    "Package: hello\n"
    "Version: 2.10-1\n"
    "Architecture: amd64\n"
    "Filename: pool/main/h/hello/hello_2.10-1_amd64.deb\n"
    "Size: 1000\n"
    "SHA256: 1111111111111111111111111111111111111111111111111111111111111111\n"
    "\n"
    "Package: hello\n"
    "Version: 2.12-1\n"
    "Architecture: amd64\n"
    "Filename: pool/main/h/hello/hello_2.12-1_amd64.deb\n"
    "Size: 1200\n"
    "SHA256: 2222222222222222222222222222222222222222222222222222222222222222\n"
    "\n"
    "Package: libfoo1\n"
    "Version: 1:0.5-3\n"
    "Architecture: all\n"
    "Filename: pool/main/libf/libfoo/libfoo1_0.5-3_all.deb\n"
    "Size: 300\n"
    "SHA256: 3333333333333333333333333333333333333333333333333333333333333333\n"
    "\n"
    "Package: other-arch\n"
    "Version: 1.0\n"
    "Architecture: arm64\n"
    "Filename: pool/main/o/other/other-arch_1.0_arm64.deb\n"
    "Size: 10\n"
    "SHA256: 4444444444444444444444444444444444444444444444444444444444444444\n";

struct fixture {
	char		*dir;		/* temporary root */
	char		*home;		/* the archive key */
	char		*ohome;		/* another key */
	char		*fpr, *ofpr;
	char		*keyring;	/* binary export of fpr */
	char		*okeyring;	/* of ofpr */
	char		*repo;		/* dir/repo */
	char		*url;		/* file://dir/repo */
	struct db	*db;
	struct config	 cfg;
	struct conf_watch w;
	char		*archs[3];
};

static struct fixture	*F;

#define assert_ok(call, err) do {					\
	if ((call) != 0)						\
		fail_msg("%s: %s", #call, dp_error_str(err));		\
} while (0)

/* err says needle (and has code). */
static void
assert_err(const struct dp_error *err, int code, const char *needle)
{
	if (strstr(err->msg, needle) == NULL)
		fail_msg("error '%s' does not say '%s'", err->msg, needle);
	assert_int_equal(err->code, code);
}

static void
write_file(const char *rel, const char *data, size_t len)
{
	struct dp_error	 err;
	char		*path = fs_join(F->repo, rel), *slash;

	slash = strrchr(path, '/');
	*slash = '\0';
	dp_error_clear(&err);
	if (fs_mkdirs(path, 0755, &err) == -1)
		fail_msg("%s", dp_error_str(&err));
	*slash = '/';
	if (fs_write_atomic(path, data, len, 0644, &err) == -1)
		fail_msg("%s", dp_error_str(&err));
	free(path);
}

static void
remove_file(const char *rel)
{
	char *path = fs_join(F->repo, rel);

	unlink(path);
	free(path);
}

/*
 * dists/bookworm/{InRelease,Release,Release.gpg} signed by home, over a
 * Release with the given Suite and extra lines, listing packages (and
 * its SHA256) as main/binary-amd64/Packages.
 */
static void
publish(const char *home, const char *fpr, const char *suite,
    const char *extra, const char *packages)
{
	struct dp_error		 err;
	struct hash_sums	 sums;
	struct buf		 inrel, gpg;
	char			*rel;

	hash_buf(packages, strlen(packages), &sums);
	rel = xasprintf("Origin: Test\nSuite: %s\nCodename: %s\n"
	    "Date: Sun, 22 Nov 2026 02:00:00 UTC\n%s"
	    "Architectures: amd64 arm64\nComponents: main\nSHA256:\n"
	    " %s %zu main/binary-amd64/Packages\n", suite, suite, extra,
	    sums.sha256, strlen(packages));
	write_file("dists/bookworm/main/binary-amd64/Packages", packages,
	    strlen(packages));
	write_file("dists/bookworm/Release", rel, strlen(rel));
	buf_init(&inrel);
	buf_init(&gpg);
	dp_error_clear(&err);
	if (sign_release(home, fpr, rel, strlen(rel), &inrel, &gpg,
	    &err) == -1)
		fail_msg("sign: %s", dp_error_str(&err));
	write_file("dists/bookworm/InRelease", inrel.data, inrel.len);
	write_file("dists/bookworm/Release.gpg", gpg.data, gpg.len);
	buf_done(&inrel);
	buf_done(&gpg);
	free(rel);
}

static void
export_key(const char *home, const char *fpr, const char *path)
{
	struct dp_error	 err;
	struct buf	 b;

	buf_init(&b);
	dp_error_clear(&err);
	if (sign_key_export(home, fpr, 0, &b, &err) == -1 ||
	    fs_write_atomic(path, b.data, b.len, 0644, &err) == -1)
		fail_msg("export: %s", dp_error_str(&err));
	buf_done(&b);
}

static int
setup(void **state)
{
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-upstream-XXXXXX";
	char		*dbpath;

	(void)state;
	F = xcalloc(1, sizeof(*F));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	F->dir = xstrdup(tmpl);
	F->home = fs_join(F->dir, "gnupg");
	F->ohome = fs_join(F->dir, "other");
	F->keyring = fs_join(F->dir, "archive.gpg");
	F->okeyring = fs_join(F->dir, "other.gpg");
	F->repo = fs_join(F->dir, "repo");
	F->url = xasprintf("file://%s", F->repo);
	dp_error_clear(&err);
	if (sign_key_init(F->home, "Upstream archive <u@localhost>", 0,
	    &F->fpr, &err) == -1 || sign_key_init(F->ohome,
	    "Someone else <o@localhost>", 0, &F->ofpr, &err) == -1) {
		fprintf(stderr, "# key init: %s\n", dp_error_str(&err));
		return -1;
	}
	export_key(F->home, F->fpr, F->keyring);
	export_key(F->ohome, F->ofpr, F->okeyring);
	dbpath = fs_join(F->dir, "state.db");
	if (db_open(dbpath, &F->db, &err) == -1) {
		fprintf(stderr, "# db: %s\n", dp_error_str(&err));
		return -1;
	}
	free(dbpath);
	F->cfg.state_dir = F->dir;
	F->cfg.fetch_timeout = 30;
	F->archs[0] = "amd64";
	F->archs[1] = "all";
	F->archs[2] = NULL;
	F->w.name = "up";
	F->w.type = WATCH_APT;
	F->w.url = F->url;
	F->w.suite = "bookworm";
	F->w.signed_by = F->keyring;
	F->w.dist = "bookworm";
	F->w.archs = F->archs;
	F->w.file = "test.watch";
	F->w.line = 1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (F == NULL)
		return 0;
	(void)sign_home_close(F->home, NULL);
	(void)sign_home_close(F->ohome, NULL);
	db_close(F->db);
	if (F->dir != NULL)
		(void)fs_remove_tree(F->dir, NULL);
	free(F->dir); free(F->home); free(F->ohome); free(F->fpr);
	free(F->ofpr); free(F->keyring); free(F->okeyring); free(F->repo);
	free(F->url);
	free(F);
	F = NULL;
	return 0;
}

/* Fetch the Release of watch w: 0 or -1, u torn down. */
static int
fetch_release(const struct conf_watch *w, struct dp_error *err,
    void (*check)(struct up *))
{
	struct up	u;
	int		rv;

	dp_error_clear(err);
	if (upstream_ctx_init(&u, F->db, &F->cfg, w, err) == -1)
		fail_msg("ctx: %s", dp_error_str(err));
	rv = upstream_release_fetch(&u, 0, err);
	if (rv == 0 && check != NULL)
		check(&u);
	upstream_ctx_done(&u);
	return rv;
}

static void
check_release(struct up *u)
{
	const struct sumfile	*sf;
	struct hash_sums	 sums;

	assert_false(u->unchanged);
	assert_string_equal(u->rel.suite, "bookworm");
	assert_string_equal(u->rel.components[0], "main");
	assert_null(u->rel.components[1]);
	assert_string_equal(u->rel.archs[1], "arm64");
	assert_int_equal(u->rel.nfiles, 1);
	sf = upstream_sums_find(u->rel.files, u->rel.nfiles,
	    "main/binary-amd64/Packages");
	assert_non_null(sf);
	hash_buf(PACKAGES, strlen(PACKAGES), &sums);
	assert_string_equal(sf->sha256, sums.sha256);
	assert_int_equal(sf->size, strlen(PACKAGES));
	assert_int_equal(strlen(u->digest), 64);
	assert_non_null(u->rel.date_str);
}

static void
test_inrelease(void **state)
{
	struct dp_error	err;

	(void)state;
	publish(F->home, F->fpr, "bookworm", "", PACKAGES);
	assert_ok(fetch_release(&F->w, &err, check_release), &err);
}

static void
test_release_gpg(void **state)
{
	struct dp_error	err;

	(void)state;
	publish(F->home, F->fpr, "bookworm", "", PACKAGES);
	remove_file("dists/bookworm/InRelease");
	assert_ok(fetch_release(&F->w, &err, check_release), &err);

	/* Release without any signature: refused. */
	remove_file("dists/bookworm/Release.gpg");
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_GPG, "unsigned");
}

static void
test_wrong_key(void **state)
{
	struct conf_watch	w = F->w;
	struct dp_error		err;

	(void)state;
	publish(F->ohome, F->ofpr, "bookworm", "", PACKAGES);
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_GPG, "signature check against");
	/* The same repository is fine for a watch trusting that key. */
	w.signed_by = F->okeyring;
	assert_ok(fetch_release(&w, &err, NULL), &err);
	/* Release + Release.gpg by the wrong key: refused too. */
	remove_file("dists/bookworm/InRelease");
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_int_equal(err.code, DP_ERR_GPG);
}

static void
test_tampered(void **state)
{
	struct dp_error	 err;
	char		*path, *data, *p;
	size_t		 len;

	(void)state;
	publish(F->home, F->fpr, "bookworm", "", PACKAGES);
	path = fs_join(F->repo, "dists/bookworm/InRelease");
	assert_ok(fs_read_file(path, 1 << 20, &data, &len, &err), &err);
	p = strstr(data, "Components: main");
	assert_non_null(p);
	memcpy(p + strlen("Components: "), "evil", 4);
	write_file("dists/bookworm/InRelease", data, len);
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_GPG, "signature check");
	free(data);
	free(path);

	/* Not clearsigned at all. */
	write_file("dists/bookworm/InRelease", "Suite: bookworm\n", 16);
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_GPG, "not signed");
}

static void
test_suite_expired(void **state)
{
	struct dp_error	 err;

	(void)state;
	publish(F->home, F->fpr, "trixie", "", PACKAGES);
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_INVALID, "not 'bookworm' as configured");

	publish(F->home, F->fpr, "bookworm",
	    "Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC\n", PACKAGES);
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_INVALID, "Release expired");

	publish(F->home, F->fpr, "bookworm",
	    "Valid-Until: Fri, 01 Jan 2100 00:00:00 UTC\n", PACKAGES);
	assert_ok(fetch_release(&F->w, &err, NULL), &err);

	/* No repository there at all. */
	remove_file("dists/bookworm/InRelease");
	remove_file("dists/bookworm/Release");
	assert_int_equal(fetch_release(&F->w, &err, NULL), -1);
	assert_err(&err, DP_ERR_NOTFOUND, "neither InRelease nor Release");
}

static void
test_index(void **state)
{
	struct dp_error	 err;
	struct up	 u;
	struct buf	 b;
	char		*bad;

	(void)state;
	publish(F->home, F->fpr, "bookworm", "", PACKAGES);
	buf_init(&b);
	dp_error_clear(&err);
	assert_ok(upstream_ctx_init(&u, F->db, &F->cfg, &F->w, &err), &err);
	assert_ok(upstream_release_fetch(&u, 0, &err), &err);
	assert_ok(upstream_index_fetch(&u, "main/binary-amd64/Packages", &b,
	    &err), &err);
	assert_int_equal(b.len, strlen(PACKAGES));
	assert_memory_equal(b.data, PACKAGES, b.len);

	/* Not listed in the Release. */
	buf_reset(&b);
	assert_int_equal(upstream_index_fetch(&u,
	    "contrib/binary-amd64/Packages", &b, &err), -1);
	assert_err(&err, DP_ERR_NOTFOUND, "Release lists no");

	/* Changed on the server after signing: refused. */
	bad = xstrdup(PACKAGES);
	bad[strlen("Package: hello\nVersion: 2.1")] = '9';
	write_file("dists/bookworm/main/binary-amd64/Packages", bad,
	    strlen(bad));
	buf_reset(&b);
	assert_int_equal(upstream_index_fetch(&u,
	    "main/binary-amd64/Packages", &b, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "signed Release");
	free(bad);
	upstream_ctx_done(&u);
	buf_done(&b);
}

/* What a dry-run sync would import: every field of the stanzas chosen. */
static void
test_packages_sync(void **state)
{
	struct aptw_report	 rep;
	struct dp_error		 err;

	(void)state;
	publish(F->home, F->fpr, "bookworm", "", PACKAGES);
	dp_error_clear(&err);
	assert_ok(aptw_sync(F->db, &F->cfg, &F->w, 1, &rep, &err), &err);
	assert_false(rep.unchanged);
	assert_int_equal(rep.imported, 0);
	/* newest hello for amd64, libfoo1 (all); not the arm64 one */
	assert_int_equal(rep.nchanges, 2);
	assert_string_equal(rep.changes[0].name, "hello");
	assert_string_equal(rep.changes[0].arch, "amd64");
	assert_null(rep.changes[0].old_version);
	assert_string_equal(rep.changes[0].new_version, "2.12-1");
	assert_string_equal(rep.changes[1].name, "libfoo1");
	assert_string_equal(rep.changes[1].arch, "all");
	assert_string_equal(rep.changes[1].new_version, "1:0.5-3");
	aptw_report_done(&rep);

	/* A bad stanza fails the whole poll, saying where. */
	publish(F->home, F->fpr, "bookworm", "",
	    "Package: hello\nVersion: 1.0\nArchitecture: amd64\n"
	    "Filename: ../../etc/passwd.deb\nSize: 1\nSHA256: "
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "\n");
	assert_int_equal(aptw_sync(F->db, &F->cfg, &F->w, 1, &rep, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "is not a safe relative path");
	assert_non_null(strstr(err.msg, "watch up"));
	assert_non_null(strstr(err.msg, "Packages:1: package hello"));
	assert_int_equal(rep.nchanges, 0);
}

/* Parse one Packages text; the selection count, or -1 with err. */
static long
parse(const char *text, char **patterns, struct dp_error *err)
{
	struct conf_watch	w = F->w;
	size_t			n = 0;

	w.packages = patterns;
	dp_error_clear(err);
	if (aptw_packages_parse(&w, F->archs, text, strlen(text), "Packages",
	    &n, err) == -1)
		return -1;
	return (long)n;
}

static void
test_packages_parse(void **state)
{
	static char	*hello_only[] = { "hel*", NULL };
	static char	*none[] = { "nothing-matches", NULL };
	struct dp_error	 err;
	struct buf	 b;

	(void)state;
	/* two hello versions count once; arm64 is not selected */
	assert_int_equal(parse(PACKAGES, NULL, &err), 2);
	assert_int_equal(parse(PACKAGES, hello_only, &err), 1);
	assert_int_equal(parse(PACKAGES, none, &err), 0);
	assert_int_equal(parse("", NULL, &err), 0);

	assert_int_equal(parse("Package: xx\nArchitecture: amd64\n", NULL,
	    &err), -1);
	assert_err(&err, DP_ERR_PARSE, "missing Architecture or Version");
	assert_non_null(strstr(err.msg, "Packages:1: package xx"));

	assert_int_equal(parse("Package: xx\nVersion: 1 0\n"
	    "Architecture: amd64\n", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "Packages:1: package xx"));
	assert_non_null(strstr(err.msg, "version"));

	buf_init(&b);
	buf_printf(&b, "%s\nPackage: yy\nVersion: 1.0\nArchitecture: amd64\n"
	    "Filename: pool/yy_1.0_amd64.tar\nSize: 1\nSHA256: %064d\n",
	    PACKAGES, 1);
	assert_int_equal(parse(b.data, NULL, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "is not a .deb");
	/* the line of the bad stanza, after the good ones */
	assert_non_null(strstr(err.msg, "Packages:29: package yy"));
	buf_reset(&b);

	buf_printf(&b, "Package: yy\nVersion: 1.0\nArchitecture: amd64\n"
	    "Filename: pool/yy_1.0_amd64.deb\nSize: 99999999999999\n"
	    "SHA256: %064d\n", 1);
	assert_int_equal(parse(b.data, NULL, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "above the limit");
	buf_reset(&b);

	buf_printf(&b, "Package: yy\nVersion: 1.0\nArchitecture: amd64\n"
	    "Filename: pool/yy_1.0_amd64.deb\nSize: 12\nSHA256: xyz\n");
	assert_int_equal(parse(b.data, NULL, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "missing or malformed SHA256");
	buf_done(&b);

	assert_int_equal(parse("Package: Bad_Name\nVersion: 1\n"
	    "Architecture: amd64\n", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "Packages:1:"));
}

static void
test_release_parse(void **state)
{
	struct release	 r;
	struct dp_error	 err;
	static const char	nosha[] = "Suite: x\nMD5Sum:\n d41d8cd98f00b204"
	    "e9800998ecf8427e 0 main/binary-amd64/Packages\n";
	static const char	badline[] = "Suite: x\nSHA256:\n abc 0 f\n";
	static const char	baddate[] = "Suite: x\nValid-Until: someday\n"
	    "SHA256:\n";

	(void)state;
	memset(&r, 0, sizeof(r));
	dp_error_clear(&err);
	assert_int_equal(upstream_release_parse(nosha, strlen(nosha),
	    "Release", &r, &err), -1);
	assert_err(&err, DP_ERR_INVALID, "no SHA256 field");
	upstream_release_done(&r);

	assert_int_equal(upstream_release_parse(badline, strlen(badline),
	    "Release", &r, &err), -1);
	assert_err(&err, DP_ERR_PARSE, "malformed checksum line");
	upstream_release_done(&r);

	assert_int_equal(upstream_release_parse(baddate, strlen(baddate),
	    "Release", &r, &err), -1);
	assert_err(&err, DP_ERR_PARSE, "Valid-Until: cannot parse date");
	upstream_release_done(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inrelease),
		cmocka_unit_test(test_release_gpg),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_suite_expired),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_packages_sync),
		cmocka_unit_test(test_packages_parse),
		cmocka_unit_test(test_release_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
