/*
 * t-dsc.c - lib/dsc.c: a real .dsc made by dpkg-source (and the same
 * clearsigned with a throwaway key), hand-written ones for Files and
 * Checksums-* merged by name, continuation lines, missing and mismatched
 * lists, unsafe file names, and dsc_verify on the files themselves.
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

#include "deb822.h"
#include "dsc.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "sign.h"
#include "spawn.h"
#include "xmalloc.h"

static char	*D;		/* the temporary directory */

#define assert_ok(call, err) do {					\
	if ((call) != 0)						\
		fail_msg("%s: %s", #call, dp_error_str(err));		\
} while (0)

static void
write_file(const char *path, const char *data, size_t len)
{
	struct dp_error	err;

	dp_error_clear(&err);
	if (fs_write_atomic(path, data, len, 0644, &err) == -1)
		fail_msg("%s", dp_error_str(&err));
}

static char *
dpath(const char *name)
{
	return fs_join(D, name);
}

static void
run(const char *cwd, char *const argv[])
{
	struct spawn_opts	o;
	struct dp_error		err;
	char			*log = dpath("spawn.log");

	memset(&o, 0, sizeof(o));
	o.cwd = cwd;
	o.log_path = log;
	if (spawn_run(argv, &o, NULL, NULL, &err) == -1) {
		char	*text = NULL;
		size_t	 len;

		(void)fs_read_file(log, 65536, &text, &len, NULL);
		fail_msg("%s: %s\n%s", argv[0], dp_error_str(&err),
		    text != NULL ? text : "");
	}
	free(log);
}

/* Parse text; return 0 or -1 with err filled; dsc_done always. */
static int
parse(const char *text, struct dp_error *err)
{
	struct dsc	dsc;
	int		rv;

	dp_error_clear(err);
	rv = dsc_parse(text, strlen(text), "x.dsc", &dsc, err);
	dsc_done(&dsc);
	return rv;
}

/* Assert text is refused with code and a message containing want. */
static void
refused(const char *text, int code, const char *want)
{
	struct dp_error	err;

	if (parse(text, &err) != -1)
		fail_msg("accepted: %s", text);
	if (err.code != code || strstr(err.msg, want) == NULL)
		fail_msg("error %d '%s', expected %d '%s'", err.code, err.msg,
		    code, want);
}

static int
setup(void **state)
{
	char tmpl[] = "/tmp/t-dsc-XXXXXX";

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	D = xstrdup(tmpl);
	return 0;
}

static int
teardown(void **state)
{
	char *home;

	(void)state;
	home = dpath("gnupg");
	(void)sign_home_close(home, NULL);
	free(home);
	(void)fs_remove_tree(D, NULL);
	free(D);
	return 0;
}

static void
assert_file_sums(const struct dsc_file *f, const char *path)
{
	struct hash_sums	s;
	struct dp_error		err;

	assert_ok(hash_file(path, &s, &err), &err);
	assert_int_equal(f->size, s.size);
	assert_string_equal(f->md5, s.md5);
	assert_string_equal(f->sha1, s.sha1);
	assert_string_equal(f->sha256, s.sha256);
}

/*
 * A 3.0 (quilt) source package built by dpkg-source: the .orig.tar.gz
 * and the .debian.tar.xz, each with its three sums; the same .dsc
 * clearsigned by gpg parses to the same; dsc_verify passes, then fails
 * for a changed byte, a changed size and a missing file.
 */
static void
test_real_dsc(void **state)
{
	static const char control[] =
	    "Source: hello-t\nSection: misc\nPriority: optional\n"
	    "Maintainer: Test <t@localhost>\nStandards-Version: 4.6.2\n"
	    "Build-Depends: debhelper-compat (= 13)\n\n"
	    "Package: hello-t\nArchitecture: any\n"
	    "Description: test package\n a longer description\n .\n"
	    " with a paragraph break\n";
	static const char changelog[] =
	    "hello-t (1.0-2) unstable; urgency=medium\n\n  * Test.\n\n"
	    " -- Test <t@localhost>  Mon, 07 Dec 2026 12:00:00 +0000\n";
	struct dsc	 dsc;
	struct dp_error	 err;
	struct buf	 signed_dsc, sig;
	char		*src, *deb, *dir, *path, *orig, *dtar, *text, *home;
	char		*fpr = NULL, *spath;
	size_t		 len, i;
	int		 seen_orig = 0, seen_deb = 0;

	(void)state;
	src = dpath("hello-t-1.0");
	assert_int_equal(mkdir(src, 0755), 0);
	path = fs_join(src, "hello.c");
	write_file(path, "int main(void) { return 0; }\n", 29);
	free(path);
	{
		char *const tar[] = { "tar", "-czf", "hello-t_1.0.orig.tar.gz",
		    "hello-t-1.0", NULL };

		run(D, tar);
	}
	deb = fs_join(src, "debian");
	dir = fs_join(deb, "source");
	assert_ok(fs_mkdirs(dir, 0755, &err), &err);
	path = fs_join(dir, "format");
	write_file(path, "3.0 (quilt)\n", 12);
	free(path);
	path = fs_join(deb, "control");
	write_file(path, control, strlen(control));
	free(path);
	path = fs_join(deb, "changelog");
	write_file(path, changelog, strlen(changelog));
	free(path);
	path = fs_join(deb, "rules");
	write_file(path, "#!/usr/bin/make -f\n%:\n\tdh $@\n", 29);
	free(path);
	{
		char *const dsrc[] = { "dpkg-source", "-b", "hello-t-1.0",
		    NULL };

		run(D, dsrc);
	}

	path = dpath("hello-t_1.0-2.dsc");
	orig = dpath("hello-t_1.0.orig.tar.gz");
	dtar = dpath("hello-t_1.0-2.debian.tar.xz");
	assert_ok(dsc_load(path, &dsc, &err), &err);
	assert_string_equal(dsc.source, "hello-t");
	assert_string_equal(dsc.version, "1.0-2");
	assert_string_equal(deb822_get(dsc.para, "Format"), "3.0 (quilt)");
	/* Package-List is a multi-line field: its first line is empty. */
	assert_string_equal(deb822_get(dsc.para, "Package-List"),
	    "\nhello-t deb misc optional arch=any");
	assert_int_equal(dsc.nfiles, 2);
	for (i = 0; i < dsc.nfiles; i++) {
		if (strcmp(dsc.files[i].name, "hello-t_1.0.orig.tar.gz") ==
		    0) {
			assert_file_sums(&dsc.files[i], orig);
			seen_orig++;
		} else if (strcmp(dsc.files[i].name,
		    "hello-t_1.0-2.debian.tar.xz") == 0) {
			assert_file_sums(&dsc.files[i], dtar);
			seen_deb++;
		}
	}
	assert_int_equal(seen_orig, 1);
	assert_int_equal(seen_deb, 1);
	assert_ok(dsc_verify("hello-t_1.0-2.dsc", &dsc, D, &err), &err);

	/* Clearsigned (as a .dsc uploaded to Debian is): the same files. */
	assert_ok(fs_read_file(path, DSC_MAX_SIZE, &text, &len, &err), &err);
	home = dpath("gnupg");
	assert_ok(sign_key_init(home, "Dsc test <d@localhost>", 0, &fpr,
	    &err), &err);
	buf_init(&signed_dsc);
	buf_init(&sig);
	assert_ok(sign_release(home, fpr, text, len, &signed_dsc, &sig, &err),
	    &err);
	assert_non_null(strstr(signed_dsc.data,
	    "-----BEGIN PGP SIGNED MESSAGE-----"));
	spath = dpath("signed.dsc");
	write_file(spath, signed_dsc.data, signed_dsc.len);
	{
		struct dsc s2;

		assert_ok(dsc_load(spath, &s2, &err), &err);
		assert_string_equal(s2.source, "hello-t");
		assert_int_equal(s2.nfiles, dsc.nfiles);
		for (i = 0; i < dsc.nfiles; i++) {
			assert_string_equal(s2.files[i].name,
			    dsc.files[i].name);
			assert_string_equal(s2.files[i].sha256,
			    dsc.files[i].sha256);
			assert_string_equal(s2.files[i].md5,
			    dsc.files[i].md5);
		}
		/* The armour and the signature are not fields. */
		assert_null(deb822_get(s2.para, "Hash"));
		assert_int_equal(s2.para->nfields, dsc.para->nfields);
		dsc_done(&s2);
	}

	/* One byte changed, same size: the SHA256 catches it. */
	{
		char	*data;
		size_t	 dlen;

		assert_ok(fs_read_file(dtar, 1 << 20, &data, &dlen, &err),
		    &err);
		data[dlen / 2] ^= 0x01;
		write_file(dtar, data, dlen);
		dp_error_clear(&err);
		assert_int_equal(dsc_verify("hello-t_1.0-2.dsc", &dsc, D,
		    &err), -1);
		assert_int_equal(err.code, DP_ERR_INVALID);
		assert_non_null(strstr(err.msg, "SHA256 checksum of "
		    "hello-t_1.0-2.debian.tar.xz does not match"));
		/* One byte more: the size. */
		data[dlen / 2] ^= 0x01;
		data = xreallocarray(data, dlen + 1, 1);
		data[dlen] = '\n';
		write_file(dtar, data, dlen + 1);
		dp_error_clear(&err);
		assert_int_equal(dsc_verify("hello-t_1.0-2.dsc", &dsc, D,
		    &err), -1);
		assert_non_null(strstr(err.msg, "size of "
		    "hello-t_1.0-2.debian.tar.xz does not match"));
		/* Put back: passes again. */
		write_file(dtar, data, dlen);
		assert_ok(dsc_verify("x", &dsc, D, &err), &err);
		free(data);
	}
	assert_int_equal(unlink(orig), 0);
	dp_error_clear(&err);
	assert_int_equal(dsc_verify("hello-t_1.0-2.dsc", &dsc, D, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "listed file hello-t_1.0.orig.tar.gz "
	    "is missing"));

	dsc_done(&dsc);
	dsc_done(&dsc);			/* twice: a no-op */
	dsc_done(NULL);
	buf_done(&signed_dsc);
	buf_done(&sig);
	free(text); free(home); free(fpr); free(spath);
	free(src); free(deb); free(dir); free(path); free(orig); free(dtar);
}

#define MD5A	"0123456789abcdef0123456789abcdef"
#define MD5B	"fedcba9876543210fedcba9876543210"
#define SHA1A	"0123456789abcdef0123456789abcdef01234567"
#define SHA1B	"fedcba9876543210fedcba9876543210fedcba98"
#define SHA256A	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define SHA256B	"fedcba9876543210fedcba9876543210" \
		"fedcba9876543210fedcba9876543210"

#define HEAD	"Format: 3.0 (quilt)\nSource: foo\nVersion: 1:2.0-1\n"

/* Fields in any order, sums merged by name whatever the order of each
 * list, continuation lines with tabs and blank lines, CRLF. */
static void
test_merge(void **state)
{
	static const char text[] =
	    "Checksums-Sha256:\n"
	    " " SHA256B " 20 foo_2.0-1.debian.tar.xz\n"
	    " " SHA256A " 10 foo_2.0.orig.tar.gz\n"
	    "Binary: foo,\n foo-doc,\n\tfoo-dev\n"
	    HEAD
	    "Files: \n"
	    " " MD5A " 10 foo_2.0.orig.tar.gz\n"
	    "\t" MD5B "\t20\tfoo_2.0-1.debian.tar.xz  \n"
	    "Checksums-Sha1:\n"
	    "  " SHA1A "   10 foo_2.0.orig.tar.gz\n"
	    " " SHA1B " 20 foo_2.0-1.debian.tar.xz\n";
	struct dsc	 dsc;
	struct dp_error	 err;
	struct buf	 crlf;
	const char	*p;

	(void)state;
	assert_ok(dsc_parse(text, strlen(text), "x.dsc", &dsc, &err), &err);
	assert_string_equal(dsc.source, "foo");
	assert_string_equal(dsc.version, "1:2.0-1");
	assert_string_equal(deb822_get(dsc.para, "Binary"),
	    "foo,\nfoo-doc,\nfoo-dev");	/* one blank removed, tab too */
	assert_int_equal(dsc.nfiles, 2);
	/* Files' order. */
	assert_string_equal(dsc.files[0].name, "foo_2.0.orig.tar.gz");
	assert_int_equal(dsc.files[0].size, 10);
	assert_string_equal(dsc.files[0].md5, MD5A);
	assert_string_equal(dsc.files[0].sha1, SHA1A);
	assert_string_equal(dsc.files[0].sha256, SHA256A);
	assert_string_equal(dsc.files[1].name, "foo_2.0-1.debian.tar.xz");
	assert_int_equal(dsc.files[1].size, 20);
	assert_string_equal(dsc.files[1].md5, MD5B);
	assert_string_equal(dsc.files[1].sha1, SHA1B);
	assert_string_equal(dsc.files[1].sha256, SHA256B);
	dsc_done(&dsc);

	/* The same with CRLF line ends. */
	buf_init(&crlf);
	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			buf_add(&crlf, "\r", 1);
		buf_add(&crlf, p, 1);
	}
	assert_ok(dsc_parse(crlf.data, crlf.len, "crlf.dsc", &dsc, &err),
	    &err);
	assert_int_equal(dsc.nfiles, 2);
	assert_string_equal(dsc.files[1].name, "foo_2.0-1.debian.tar.xz");
	assert_string_equal(dsc.files[1].sha256, SHA256B);
	assert_string_equal(dsc.version, "1:2.0-1");
	dsc_done(&dsc);
	buf_done(&crlf);
}

/* Only Files: accepted (old .dsc), the others empty; dsc_file_check then
 * compares what is listed. */
static void
test_files_only(void **state)
{
	static const char text[] = HEAD
	    "Files:\n " MD5A " 3 foo_2.0.tar.gz\n";
	struct dsc		dsc;
	struct dp_error		err;
	struct hash_sums	s;

	(void)state;
	assert_ok(dsc_parse(text, strlen(text), "x.dsc", &dsc, &err), &err);
	assert_int_equal(dsc.nfiles, 1);
	assert_string_equal(dsc.files[0].md5, MD5A);
	assert_string_equal(dsc.files[0].sha1, "");
	assert_string_equal(dsc.files[0].sha256, "");

	/* dsc_file_check: the size first, then each listed sum. */
	hash_buf("abc", 3, &s);
	dp_error_clear(&err);
	assert_int_equal(dsc_file_check("x.dsc", &dsc.files[0], &s, &err),
	    -1);
	assert_non_null(strstr(err.msg, "x.dsc: MD5 checksum of "
	    "foo_2.0.tar.gz does not match"));
	memcpy(dsc.files[0].md5, s.md5, sizeof(s.md5));
	assert_ok(dsc_file_check("x.dsc", &dsc.files[0], &s, &err), &err);
	memcpy(dsc.files[0].sha1, SHA1A, sizeof(SHA1A));
	assert_int_equal(dsc_file_check("x.dsc", &dsc.files[0], &s, &err),
	    -1);
	assert_non_null(strstr(err.msg, "SHA1 checksum"));
	memcpy(dsc.files[0].sha1, s.sha1, sizeof(s.sha1));
	memcpy(dsc.files[0].sha256, SHA256A, sizeof(SHA256A));
	assert_int_equal(dsc_file_check("x.dsc", &dsc.files[0], &s, &err),
	    -1);
	assert_non_null(strstr(err.msg, "SHA256 checksum"));
	memcpy(dsc.files[0].sha256, s.sha256, sizeof(s.sha256));
	assert_ok(dsc_file_check("x.dsc", &dsc.files[0], &s, &err), &err);
	s.size = 4;
	assert_int_equal(dsc_file_check("x.dsc", &dsc.files[0], &s, &err),
	    -1);
	assert_non_null(strstr(err.msg, "size of foo_2.0.tar.gz"));
	dsc_done(&dsc);
}

static void
test_missing(void **state)
{
	(void)state;
	refused("Format: 1.0\nSource: foo\nVersion: 1\n", DP_ERR_INVALID,
	    "x.dsc: no Files field");
	refused(HEAD "Files:\n", DP_ERR_INVALID, "x.dsc: Files lists no file");
	refused(HEAD "Files:\n \n", DP_ERR_INVALID, "Files lists no file");
	refused("Format: 1.0\nVersion: 1\nFiles:\n " MD5A " 1 a\n",
	    DP_ERR_INVALID, "missing required field Source");
	refused("Format: 1.0\nSource: foo\nFiles:\n " MD5A " 1 a\n",
	    DP_ERR_INVALID, "missing required field Version");
	refused("Source: foo\nVersion: 1\nFiles:\n " MD5A " 1 a\n",
	    DP_ERR_INVALID, "missing required field Format");
	refused("Format: 1.0\nSource: Foo_bar\nVersion: 1\n"
	    "Files:\n " MD5A " 1 a\n", DP_ERR_INVALID, "x.dsc");
	refused("Format: 1.0\nSource: foo\nVersion: 1 2\n"
	    "Files:\n " MD5A " 1 a\n", DP_ERR_INVALID, "x.dsc");
	/* Not one paragraph, or not deb822 at all. */
	refused(HEAD "Files:\n " MD5A " 1 a\n\nSource: bar\n", DP_ERR_PARSE,
	    "second paragraph");
	refused("", DP_ERR_PARSE, "x.dsc");
	refused("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" HEAD
	    "Files:\n " MD5A " 1 a\n", DP_ERR_PARSE, "without '-----BEGIN "
	    "PGP SIGNATURE-----'");
}

/* The lists disagree: a file only in a Checksums-* field, a size that
 * differs, a name twice, a Checksums-* field that leaves a file out (that
 * file would be checked by MD5 alone). */
static void
test_mismatch(void **state)
{
	(void)state;
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n"
	    "Checksums-Sha256:\n " SHA256A " 10 a.tar.gz\n "
	    SHA256B " 5 b.tar.gz\n", DP_ERR_INVALID,
	    "x.dsc:8: Checksums-Sha256 lists b.tar.gz which is not in Files");
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n"
	    "Checksums-Sha1:\n " SHA1A " 11 a.tar.gz\n", DP_ERR_INVALID,
	    "x.dsc:7: Checksums-Sha1: size of a.tar.gz is 11, another field "
	    "says 10");
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n " MD5B " 10 a.tar.gz\n",
	    DP_ERR_INVALID, "x.dsc:6: Files lists a.tar.gz twice");
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n"
	    "Checksums-Sha256:\n " SHA256A " 10 a.tar.gz\n "
	    SHA256A " 10 a.tar.gz\n", DP_ERR_INVALID,
	    "Checksums-Sha256 lists a.tar.gz twice");
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n " MD5B " 5 b.tar.gz\n"
	    "Checksums-Sha256:\n " SHA256A " 10 a.tar.gz\n", DP_ERR_INVALID,
	    "x.dsc:7: Checksums-Sha256 does not list b.tar.gz, which Files "
	    "lists");
	refused(HEAD "Files:\n " MD5A " 10 a.tar.gz\n " MD5B " 5 b.tar.gz\n"
	    "Checksums-Sha1:\n " SHA1B " 5 b.tar.gz\n", DP_ERR_INVALID,
	    "x.dsc:7: Checksums-Sha1 does not list a.tar.gz, which Files "
	    "lists");
}

/* Malformed lines: bad hex, bad sizes, too few or too many words; the
 * line number is the line in the file. */
static void
test_bad_lines(void **state)
{
	(void)state;
	refused(HEAD "Files:\n " MD5A " 10\n", DP_ERR_PARSE,
	    "x.dsc:5: Files: expected 'checksum size name'");
	refused(HEAD "Files:\n " MD5A " 10 a b\n", DP_ERR_PARSE,
	    "x.dsc:5: Files: expected 'checksum size name'");
	refused(HEAD "Files:\n " MD5A " 1 a\n " MD5A "0 1 b\n", DP_ERR_PARSE,
	    "x.dsc:6: Files: bad checksum");
	refused(HEAD "Files:\n 0123456789ABCDEF0123456789abcdef 1 a\n",
	    DP_ERR_PARSE, "Files: bad checksum '0123456789ABCDEF");
	refused(HEAD "Files:\n " MD5A " 1 a\n"
	    "Checksums-Sha256:\n " SHA1A " 1 a\n", DP_ERR_PARSE,
	    "x.dsc:7: Checksums-Sha256: bad checksum");
	refused(HEAD "Files:\n " MD5A " -1 a\n", DP_ERR_PARSE,
	    "Files: bad size '-1' for a");
	refused(HEAD "Files:\n " MD5A " +1 a\n", DP_ERR_PARSE, "bad size");
	refused(HEAD "Files:\n " MD5A " 1x a\n", DP_ERR_PARSE, "bad size");
	refused(HEAD "Files:\n " MD5A " 0x10 a\n", DP_ERR_PARSE, "bad size");
	refused(HEAD "Files:\n " MD5A " 99999999999999999999 a\n",
	    DP_ERR_PARSE, "bad size");
	refused(HEAD "Files:\n " MD5A " 1 a\n:\n", DP_ERR_PARSE, "x.dsc:6");
	{
		struct dsc	dsc;
		struct dp_error	err;
		const char	*t = HEAD "Files:\n " MD5A
				    " 18446744073709551615 a\n";

		/* The largest size there is still parses. */
		assert_ok(dsc_parse(t, strlen(t), "x.dsc", &dsc, &err), &err);
		assert_true(dsc.files[0].size == UINT64_MAX);
		dsc_done(&dsc);
	}
}

/* A name is one safe file name: no '/', no '..', not hidden, not an
 * option, no control character or backslash. */
static void
test_names(void **state)
{
	static const char *bad[] = {
		"../../etc/passwd", "..", ".", "a/b", "/etc/passwd",
		".hidden", "-rf", "a\\b", "foo/../bar",
	};
	char	*t;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = xasprintf(HEAD "Files:\n " MD5A " 1 ok.tar.gz\n "
		    MD5A " 1 %s\n", bad[i]);
		refused(t, DP_ERR_INVALID, "x.dsc:6: Files: unsafe file name");
		free(t);
		/* In Checksums-Sha256 as well (checked before the merge). */
		t = xasprintf(HEAD "Files:\n " MD5A " 1 ok.tar.gz\n"
		    "Checksums-Sha256:\n " SHA256A " 1 %s\n", bad[i]);
		refused(t, DP_ERR_INVALID, "Checksums-Sha256: unsafe file "
		    "name");
		free(t);
	}
	/* A control character in the name: the message is printable. */
	t = xasprintf(HEAD "Files:\n " MD5A " 1 a\033]0;x\n");
	refused(t, DP_ERR_INVALID, "unsafe file name 'a?]0;x'");
	free(t);
	/* Epochs, '+', '~' and ':' are fine. */
	t = xasprintf(HEAD "Files:\n " MD5A " 1 libfoo++_2.0~rc1+dfsg.orig"
	    ".tar.gz\n");
	{
		struct dp_error err;

		assert_ok(parse(t, &err), &err);
	}
	free(t);
}

static void
test_limits(void **state)
{
	struct buf	 b;
	struct dsc	 dsc;
	struct dp_error	 err;
	char		*path, *big;
	int		 i;

	(void)state;
	buf_init(&b);
	buf_printf(&b, "%sFiles:\n", HEAD);
	for (i = 0; i < DSC_MAX_FILES; i++)
		buf_printf(&b, " %s 1 f%d\n", MD5A, i);
	assert_ok(dsc_parse(b.data, b.len, "x.dsc", &dsc, &err), &err);
	assert_int_equal(dsc.nfiles, DSC_MAX_FILES);
	dsc_done(&dsc);
	buf_printf(&b, " %s 1 f%d\n", MD5A, i);
	dp_error_clear(&err);
	assert_int_equal(dsc_parse(b.data, b.len, "x.dsc", &dsc, &err), -1);
	assert_non_null(strstr(err.msg, "more than 256 files listed"));
	dsc_done(&dsc);
	buf_done(&b);

	/* dsc_load: a missing file; a file over DSC_MAX_SIZE. */
	path = dpath("none.dsc");
	dp_error_clear(&err);
	assert_int_equal(dsc_load(path, &dsc, &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, path));
	dsc_done(&dsc);
	big = xmalloc(DSC_MAX_SIZE + 2);
	memset(big, ' ', DSC_MAX_SIZE + 1);
	memcpy(big, HEAD, strlen(HEAD));
	big[DSC_MAX_SIZE + 1] = '\0';
	write_file(path, big, DSC_MAX_SIZE + 1);
	dp_error_clear(&err);
	assert_int_equal(dsc_load(path, &dsc, &err), -1);
	assert_int_equal(err.code, DP_ERR_INVALID);
	dsc_done(&dsc);
	free(big);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_dsc),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_files_only),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
