/*
 * t-sign.c - lib/sign.c with real gpg in throwaway gnupg homes: key
 * creation, export, Release signatures checked by gpgv, verification of
 * good and bad signatures.
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
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "fsutil.h"
#include "sign.h"
#include "spawn.h"
#include "xmalloc.h"

static const char RELEASE[] =
    "Origin: Test\n"
    "Label: Test\n"
    "Suite: bookworm\n"
    "Codename: bookworm\n"
    "Date: Sun, 22 Nov 2026 02:00:00 UTC\n"
    "Architectures: amd64 all\n"
    "Components: main\n"
    "Acquire-By-Hash: yes\n"
    "SHA256:\n"
    " 0000000000000000000000000000000000000000000000000000000000000000"
    " 0 main/binary-amd64/Packages\n"
    "-----a line starting with dashes\n";

struct fixture {
	char	*dir;		/* temporary root */
	char	*home;		/* dir/gnupg: the archive key */
	char	*other;		/* dir/other: another key */
	char	*fpr;
	char	*ofpr;
	char	*keyring;	/* dir/keyring.gpg: binary export of fpr */
	char	*okeyring;	/* dir/other.asc: armoured export of ofpr */
};

static struct fixture	*F;

/* Assert a library call returned 0, showing its error otherwise. */
#define assert_ok(call, err) do {					\
	if ((call) != 0)						\
		fail_msg("%s: %s", #call, dp_error_str(err));		\
} while (0)

static void
kill_agent(const char *home)
{
	(void)sign_home_close(home, NULL);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	struct dp_error	err;

	dp_error_clear(&err);
	if (fs_write_atomic(path, data, len, 0644, &err) == -1)
		fail_msg("%s", dp_error_str(&err));
}

/* 0 if gpgv accepts, else its exit status (or -1). */
static int
run_gpgv(const char *keyring, const char *a, const char *b)
{
	char *const	argv[] = { "gpgv", "--keyring", (char *)keyring,
			    (char *)a, (char *)b, NULL };
	struct spawn_opts o;
	int		status = 0;

	memset(&o, 0, sizeof(o));
	o.log_path = "/dev/null";
	if (spawn_run(argv, &o, &status, NULL, NULL) == 0)
		return 0;
	return status != 0 ? status : -1;
}

static int
setup(void **state)
{
	struct dp_error	err;
	struct buf	b;
	char		tmpl[] = "/tmp/t-sign-XXXXXX";

	(void)state;
	F = xcalloc(1, sizeof(*F));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	F->dir = xstrdup(tmpl);
	F->home = fs_join(F->dir, "gnupg");
	F->other = fs_join(F->dir, "other");
	F->keyring = fs_join(F->dir, "keyring.gpg");
	F->okeyring = fs_join(F->dir, "other.asc");
	dp_error_clear(&err);
	if (sign_key_init(F->home, "Test archive signing key <t@localhost>",
	    0, &F->fpr, &err) == -1 ||
	    sign_key_init(F->other, "Other key <o@localhost>", 0, &F->ofpr,
	    &err) == -1) {
		fprintf(stderr, "# key init: %s\n", dp_error_str(&err));
		return -1;
	}
	buf_init(&b);
	if (sign_key_export(F->home, F->fpr, 0, &b, &err) == -1)
		return -1;
	write_file(F->keyring, b.data, b.len);
	buf_reset(&b);
	if (sign_key_export(F->other, F->ofpr, 1, &b, &err) == -1)
		return -1;
	write_file(F->okeyring, b.data, b.len);
	buf_done(&b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (F == NULL)
		return 0;
	kill_agent(F->home);
	kill_agent(F->other);
	if (F->dir != NULL)
		(void)fs_remove_tree(F->dir, NULL);
	free(F->dir); free(F->home); free(F->other); free(F->fpr);
	free(F->ofpr); free(F->keyring); free(F->okeyring);
	free(F);
	F = NULL;
	return 0;
}

static void
test_key_init_find(void **state)
{
	struct dp_error	 err;
	struct stat	 sb;
	char		*fpr = NULL, *keyid;

	(void)state;
	assert_int_equal(strlen(F->fpr), 40);
	assert_int_equal(stat(F->home, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	/* A second init refuses and keeps the key. */
	dp_error_clear(&err);
	assert_int_equal(sign_key_init(F->home, "Again <a@localhost>", 0,
	    &fpr, &err), -1);
	assert_int_equal(err.code, DP_ERR_EXISTS);
	assert_non_null(strstr(err.msg, "--force"));
	assert_null(fpr);

	assert_ok(sign_key_find(F->home, NULL, &fpr, &err), &err);
	assert_string_equal(fpr, F->fpr);
	free(fpr);
	fpr = NULL;
	assert_ok(sign_key_find(F->home, F->fpr, &fpr, &err), &err);
	assert_string_equal(fpr, F->fpr);
	free(fpr);
	fpr = NULL;
	/* By the long key id too, with or without 0x (Sign-With: 0xKEYID). */
	assert_ok(sign_key_find(F->home, F->fpr + 24, &fpr, &err), &err);
	assert_string_equal(fpr, F->fpr);
	free(fpr);
	fpr = NULL;
	keyid = xasprintf("0x%s", F->fpr + 24);
	assert_ok(sign_key_find(F->home, keyid, &fpr, &err), &err);
	assert_string_equal(fpr, F->fpr);
	free(keyid);
	free(fpr);
	fpr = NULL;

	dp_error_clear(&err);
	assert_int_equal(sign_key_find(F->home, F->ofpr, &fpr, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_null(fpr);
}

static void
test_key_empty_home(void **state)
{
	struct dp_error	 err;
	char		*empty, *fpr = NULL;

	(void)state;
	empty = fs_join(F->dir, "empty");
	assert_int_equal(mkdir(empty, 0700), 0);
	dp_error_clear(&err);
	assert_int_equal(sign_key_find(empty, NULL, &fpr, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "key init"));
	kill_agent(empty);
	free(empty);
}

static void
test_key_init_force(void **state)
{
	struct dp_error	 err;
	char		*home, *fpr1 = NULL, *fpr2 = NULL, *found = NULL;

	(void)state;
	home = fs_join(F->dir, "force");
	dp_error_clear(&err);
	assert_ok(sign_key_init(home, "One <one@localhost>", 0, &fpr1,
	    &err), &err);
	assert_ok(sign_key_init(home, "Two <two@localhost>", 1, &fpr2,
	    &err), &err);
	assert_string_not_equal(fpr1, fpr2);
	/* The old key is gone: the home has exactly one key again. */
	assert_ok(sign_key_find(home, NULL, &found, &err), &err);
	assert_string_equal(found, fpr2);
	kill_agent(home);
	free(home); free(fpr1); free(fpr2); free(found);
}

static void
test_export(void **state)
{
	struct dp_error	err;
	struct buf	b;

	(void)state;
	buf_init(&b);
	dp_error_clear(&err);
	assert_ok(sign_key_export(F->home, F->fpr, 1, &b, &err), &err);
	assert_non_null(strstr(b.data, "-----BEGIN PGP PUBLIC KEY BLOCK"));
	assert_null(strstr(b.data, "PRIVATE"));
	buf_reset(&b);
	assert_ok(sign_key_export(F->home, F->fpr, 0, &b, &err), &err);
	/* Binary: an OpenPGP public key packet first (new or old format). */
	assert_true(b.len > 32);
	assert_true((unsigned char)b.data[0] == 0x99 ||
	    (unsigned char)b.data[0] == 0xc6 ||
	    (unsigned char)b.data[0] == 0x98);
	buf_reset(&b);
	assert_int_equal(sign_key_export(F->home,
	    "0123456789ABCDEF0123456789ABCDEF01234567", 0, &b, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	buf_done(&b);
}

static void
test_release_gpgv(void **state)
{
	struct dp_error	 err;
	struct buf	 inrel, detached;
	char		*inpath, *relpath, *sigpath, *bad;

	(void)state;
	buf_init(&inrel);
	buf_init(&detached);
	dp_error_clear(&err);
	assert_ok(sign_release(F->home, F->fpr, RELEASE,
	    strlen(RELEASE), &inrel, &detached, &err), &err);
	assert_non_null(strstr(inrel.data,
	    "-----BEGIN PGP SIGNED MESSAGE-----"));
	/* apt refuses SHA1; gpg picks SHA256 or better for these keys. */
	assert_non_null(strstr(inrel.data, "Hash: SHA"));
	assert_null(strstr(inrel.data, "Hash: SHA1\n"));
	assert_non_null(strstr(inrel.data, "Codename: bookworm"));
	assert_non_null(strstr(detached.data,
	    "-----BEGIN PGP SIGNATURE-----"));

	inpath = fs_join(F->dir, "InRelease");
	relpath = fs_join(F->dir, "Release");
	sigpath = fs_join(F->dir, "Release.gpg");
	write_file(inpath, inrel.data, inrel.len);
	write_file(relpath, RELEASE, strlen(RELEASE));
	write_file(sigpath, detached.data, detached.len);

	assert_int_equal(run_gpgv(F->keyring, inpath, NULL), 0);
	assert_int_equal(run_gpgv(F->keyring, sigpath, relpath), 0);

	/* Tampered: one byte of the signed text changed. */
	bad = xstrdup(inrel.data);
	*strstr(bad, "bookworm") = 'c';
	write_file(inpath, bad, strlen(bad));
	assert_int_not_equal(run_gpgv(F->keyring, inpath, NULL), 0);
	free(bad);
	bad = xstrdup(RELEASE);
	*strstr(bad, "amd64") = 'i';
	write_file(relpath, bad, strlen(bad));
	assert_int_not_equal(run_gpgv(F->keyring, sigpath, relpath), 0);
	free(bad);

	/* Unknown key. */
	dp_error_clear(&err);
	assert_int_equal(sign_release(F->home, F->ofpr, RELEASE,
	    strlen(RELEASE), &inrel, NULL, &err), -1);
	assert_int_equal(err.code, DP_ERR_GPG);

	buf_done(&inrel);
	buf_done(&detached);
	free(inpath); free(relpath); free(sigpath);
}

static void
test_verify_good(void **state)
{
	struct dp_error	err;
	struct buf	inrel, detached, plain;

	(void)state;
	buf_init(&inrel);
	buf_init(&detached);
	buf_init(&plain);
	dp_error_clear(&err);
	assert_ok(sign_release(F->home, F->fpr, RELEASE,
	    strlen(RELEASE), &inrel, &detached, &err), &err);

	assert_ok(sign_verify(F->keyring, inrel.data, inrel.len,
	    NULL, 0, &plain, &err), &err);
	assert_int_equal(plain.len, strlen(RELEASE));
	assert_memory_equal(plain.data, RELEASE, plain.len);

	assert_ok(sign_verify(F->keyring, RELEASE, strlen(RELEASE),
	    detached.data, detached.len, NULL, &err), &err);

	/* A keyring without the signing key. */
	assert_int_equal(sign_verify(F->okeyring, inrel.data, inrel.len,
	    NULL, 0, NULL, &err), -1);
	buf_done(&inrel);
	buf_done(&detached);
	buf_done(&plain);
}

static void
test_verify_refused(void **state)
{
	struct dp_error	 err;
	struct buf	 inrel, detached, plain;
	char		*bad;

	(void)state;
	buf_init(&inrel);
	buf_init(&detached);
	buf_init(&plain);
	dp_error_clear(&err);
	/* Signed by the other key: wrong key for this keyring. */
	assert_ok(sign_release(F->other, F->ofpr, RELEASE,
	    strlen(RELEASE), &inrel, &detached, &err), &err);
	assert_int_equal(sign_verify(F->keyring, inrel.data, inrel.len,
	    NULL, 0, &plain, &err), -1);
	assert_int_equal(err.code, DP_ERR_GPG);
	assert_non_null(strstr(err.msg, "not in"));
	assert_int_equal(plain.len, 0);
	assert_int_equal(sign_verify(F->keyring, RELEASE, strlen(RELEASE),
	    detached.data, detached.len, NULL, &err), -1);
	/* ... but fine with its own keyring (armoured). */
	assert_ok(sign_verify(F->okeyring, inrel.data, inrel.len,
	    NULL, 0, &plain, &err), &err);
	buf_reset(&plain);

	/* Tampered clearsigned text and tampered detached data. */
	bad = xstrdup(inrel.data);
	*strstr(bad, "Label: Test") = 'l';
	dp_error_clear(&err);
	assert_int_equal(sign_verify(F->okeyring, bad, strlen(bad), NULL, 0,
	    &plain, &err), -1);
	assert_int_equal(err.code, DP_ERR_GPG);
	assert_int_equal(plain.len, 0);
	free(bad);
	bad = xstrdup(RELEASE);
	bad[0] = 'o';
	assert_int_equal(sign_verify(F->okeyring, bad, strlen(bad),
	    detached.data, detached.len, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "BAD"));
	free(bad);

	/* Unsigned data: as clearsigned and with a non-signature. */
	assert_int_equal(sign_verify(F->keyring, RELEASE, strlen(RELEASE),
	    NULL, 0, &plain, &err), -1);
	assert_int_equal(err.code, DP_ERR_GPG);
	assert_int_equal(sign_verify(F->keyring, RELEASE, strlen(RELEASE),
	    "garbage", 7, NULL, &err), -1);
	assert_int_equal(err.code, DP_ERR_GPG);

	/* Unsigned text around a good signed block is refused. */
	bad = xasprintf("Origin: Evil\n\n%s", inrel.data);
	assert_int_equal(sign_verify(F->okeyring, bad, strlen(bad), NULL, 0,
	    &plain, &err), -1);
	free(bad);
	bad = xasprintf("%sPackage: evil\n", inrel.data);
	assert_int_equal(sign_verify(F->okeyring, bad, strlen(bad), NULL, 0,
	    &plain, &err), -1);
	free(bad);
	bad = xasprintf("%s%s", inrel.data, inrel.data);
	assert_int_equal(sign_verify(F->okeyring, bad, strlen(bad), NULL, 0,
	    &plain, &err), -1);
	free(bad);
	assert_int_equal(plain.len, 0);

	/* A keyring that is no keyring. */
	bad = fs_join(F->dir, "nokeys");
	write_file(bad, "nothing\n", 8);
	assert_int_equal(sign_verify(bad, inrel.data, inrel.len, NULL, 0,
	    &plain, &err), -1);
	free(bad);

	buf_done(&inrel);
	buf_done(&detached);
	buf_done(&plain);
}

/* A key that expires 2 s after creation: its signature is good at first,
 * refused once the key has expired. */
static void
test_verify_expired(void **state)
{
	struct dp_error	 err;
	char		*home, *keyring;
	char		*gen[] = { "gpg", "--homedir", NULL, "--batch",
			    "--pinentry-mode", "loopback", "--passphrase", "",
			    "--quick-gen-key", "Expiring <e@localhost>",
			    "ed25519", "sign", "seconds=3", NULL };
	char		*clear[] = { "gpg", "--homedir", NULL, "--batch",
			    "--armor", "--clearsign", "--output", NULL,
			    NULL, NULL };
	char		*exp[] = { "gpg", "--homedir", NULL, "--batch",
			    "--output", NULL, "--export", NULL };
	char		*relpath, *sigpath;
	struct spawn_opts o;
	char		*data = NULL;
	size_t		 len;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.log_path = "/dev/null";
	home = fs_join(F->dir, "expiring");
	keyring = fs_join(F->dir, "expiring.gpg");
	relpath = fs_join(F->dir, "Release.exp");
	sigpath = fs_join(F->dir, "InRelease.exp");
	assert_int_equal(mkdir(home, 0700), 0);
	write_file(relpath, RELEASE, strlen(RELEASE));
	gen[2] = clear[2] = exp[2] = home;
	clear[7] = sigpath;
	clear[8] = relpath;
	exp[5] = keyring;
	dp_error_clear(&err);
	if (spawn_run(gen, &o, NULL, NULL, &err) == -1 ||
	    spawn_run(clear, &o, NULL, NULL, &err) == -1 ||
	    spawn_run(exp, &o, NULL, NULL, &err) == -1) {
		kill_agent(home);
		fail_msg("gpg: %s", dp_error_str(&err));
	}
	kill_agent(home);
	assert_ok(fs_read_file(sigpath, 1 << 20, &data, &len, &err), &err);
	/* Good while the key is valid (unless this machine was slow). */
	if (sign_verify(keyring, data, len, NULL, 0, NULL, &err) == -1)
		assert_non_null(strstr(err.msg, "expired"));
	sleep(4);
	dp_error_clear(&err);
	assert_int_equal(sign_verify(keyring, data, len, NULL, 0, NULL, &err),
	    -1);
	assert_int_equal(err.code, DP_ERR_GPG);
	assert_non_null(strstr(err.msg, "expired"));
	free(data);
	free(home); free(keyring); free(relpath); free(sigpath);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_init_find),
		cmocka_unit_test(test_key_empty_home),
		cmocka_unit_test(test_key_init_force),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_release_gpgv),
		cmocka_unit_test(test_verify_good),
		cmocka_unit_test(test_verify_refused),
		cmocka_unit_test(test_verify_expired),
	};

	/* Keep gpg away from the user's own home and agent. */
	unsetenv("GNUPGHOME");
	return cmocka_run_group_tests(tests, setup, teardown);
}
