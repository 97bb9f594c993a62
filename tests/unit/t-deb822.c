/* t-deb822.c - unit tests for lib/deb822.c. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "deb822.h"
#include "error.h"
#include "xmalloc.h"

/* Everything the callback saw, flattened as "line:Name=value;" per field
 * and "|" between paragraphs. */
struct seen {
	struct buf	out;
	int		nparas;
	int		stop_at;	/* fail at this paragraph (from 1) */
};

static int
record_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct seen	*s = arg;
	size_t		 i;

	s->nparas++;
	if (s->stop_at == s->nparas) {
		dp_error_set(err, DP_ERR_INVALID, "stopped at %d", para->line);
		return -1;
	}
	if (s->out.len != 0)
		buf_addc(&s->out, '|');
	buf_printf(&s->out, "@%d", para->line);
	for (i = 0; i < para->nfields; i++)
		buf_printf(&s->out, "%d:%s=%s;", para->fields[i].line,
		    para->fields[i].name, para->fields[i].value);
	return 0;
}

/* Parse text with flags; returns rv and leaves the record in *s. */
static int
parse(const char *text, int flags, struct seen *s, struct dp_error *err)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->out);
	buf_adds(&s->out, "");
	buf_reset(&s->out);
	dp_error_clear(err);
	return deb822_parse(text, strlen(text), "t.txt", flags, record_cb, s,
	    err);
}

static void
expect(const char *text, int flags, const char *want)
{
	struct seen	s;
	struct dp_error	err;

	if (parse(text, flags, &s, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	assert_string_equal(s.out.data, want);
	buf_done(&s.out);
}

static void
expect_error(const char *text, int flags, const char *want)
{
	struct seen	s;
	struct dp_error	err;

	assert_int_equal(parse(text, flags, &s, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	buf_done(&s.out);
}

static void
test_simple(void **state)
{
	(void)state;
	expect("Package: hello\nVersion: 1.0-1\n\nPackage: b\n",
	    0, "@1" "1:Package=hello;2:Version=1.0-1;|@4" "4:Package=b;");
	/* no newline at the end, several blank lines, blanks with spaces */
	expect("\n\nA: 1\n\n \t\n\nB:2", 0, "@3" "3:A=1;|@7" "7:B=2;");
	/* value white space trimmed, empty value */
	expect("A:   x y  \nB:\n", 0, "@1" "1:A=x y;2:B=;");
	/* empty input */
	expect("", 0, "");
	expect("\n\n   \n", 0, "");
}

static void
test_continuation(void **state)
{
	(void)state;
	expect("Description: short\n long line\n .\n  indented\n\tTab\n",
	    0, "@1" "1:Description=short\nlong line\n.\n indented\nTab;");
	expect("Files:\n abc 1 a.tar\n def 2 a.dsc\nX: y\n", 0,
	    "@1" "1:Files=\nabc 1 a.tar\ndef 2 a.dsc;4:X=y;");
}

static void
test_comments(void **state)
{
	(void)state;
	expect("# head\nA: 1\n# between\nB: 2\n# in a value\n more\n\n"
	    "# alone\n\nC: 3\n", DEB822_COMMENTS,
	    "@2" "2:A=1;4:B=2\nmore;|@10" "10:C=3;");
	/* without the flag, '#' is not special */
	expect_error("# head\nA: 1\n", 0, "t.txt:1: line without ':'");
	expect("#A: 1\n", 0, "@1" "1:#A=1;");
}

static void
test_crlf(void **state)
{
	(void)state;
	expect("A: 1\r\nB: two\r\n more\r\n\r\nC: 3\r\n", 0,
	    "@1" "1:A=1;2:B=two\nmore;|@5" "5:C=3;");
}

static void
test_errors(void **state)
{
	struct seen	s;
	struct dp_error	err;
	const char	text[] = "A: 1\nB: x\0y\n";

	(void)state;
	expect_error(" cont\nA: 1\n", 0,
	    "t.txt:1: continuation line (starting with a space or tab) "
	    "before any field");
	expect_error("A: 1\n\n cont\n", 0, "t.txt:3: continuation line");
	expect_error("A: 1\nno colon here\n", 0, "t.txt:2: line without ':'");
	expect_error("A: 1\n: x\n", 0, "t.txt:2: empty field name");
	expect_error("A: 1\nB c: x\n", 0, "t.txt:2: bad field name 'B c'");
	expect_error("A: 1\nB: 2\na: 3\n", 0,
	    "t.txt:3: duplicate field 'a' (first at line 1)");
	/* a duplicate in another paragraph is fine */
	expect("A: 1\n\nA: 2\n", 0, "@1" "1:A=1;|@3" "3:A=2;");

	memset(&s, 0, sizeof(s));
	buf_init(&s.out);
	assert_int_equal(deb822_parse(text, sizeof(text) - 1, "t.txt", 0,
	    record_cb, &s, &err), -1);
	assert_string_equal(err.msg, "t.txt:2: NUL byte in text");
	assert_int_equal(s.nparas, 0);
	buf_done(&s.out);
}

static void
test_callback_stop(void **state)
{
	struct seen	s;
	struct dp_error	err;

	(void)state;
	memset(&s, 0, sizeof(s));
	buf_init(&s.out);
	s.stop_at = 2;
	assert_int_equal(deb822_parse("A: 1\n\nA: 2\n\nA: 3\n", 17, "x", 0,
	    record_cb, &s, &err), -1);
	assert_string_equal(err.msg, "stopped at 3");
	assert_int_equal(s.nparas, 2);
	buf_done(&s.out);
}

#define SIGNED \
	"-----BEGIN PGP SIGNED MESSAGE-----\n" \
	"Hash: SHA256\n" \
	"\n" \
	"Format: 3.0 (quilt)\n" \
	"Source: hello\n" \
	"- -Dashed: yes\n" \
	"Files:\n" \
	" 0123 12 hello_1.0.orig.tar.gz\n" \
	"\n" \
	"-----BEGIN PGP SIGNATURE-----\n" \
	"\n" \
	"iQIzBAEBCAAdFiEE\n" \
	"-----END PGP SIGNATURE-----\n"

static void
test_pgp(void **state)
{
	(void)state;
	expect(SIGNED, DEB822_PGP,
	    "@4" "4:Format=3.0 (quilt);5:Source=hello;6:-Dashed=yes;"
	    "7:Files=\n0123 12 hello_1.0.orig.tar.gz;");
	/* unsigned input is fine with the flag */
	expect("Origin: Debian\n", DEB822_PGP, "@1" "1:Origin=Debian;");
	/* without the flag the armour is an error */
	expect_error(SIGNED, 0, "t.txt:1: line without ':'");
	expect_error("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "A: 1\n", DEB822_PGP, "without '-----BEGIN PGP SIGNATURE-----'");
}

static void
test_find(void **state)
{
	struct deb822_para	*p = NULL;
	struct dp_error		 err;
	const char		 text[] = "Package: a\nVersion: 1\n";

	(void)state;
	assert_int_equal(deb822_parse_one(text, strlen(text), "c", 0, &p,
	    &err), 0);
	assert_non_null(deb822_find(p, "package"));
	assert_int_equal(deb822_find(p, "VERSION")->line, 2);
	assert_string_equal(deb822_get(p, "Version"), "1");
	assert_null(deb822_get(p, "Missing"));
	assert_null(deb822_get(NULL, "Missing"));
	deb822_para_free(p);
	deb822_para_free(NULL);
}

static void
test_parse_one(void **state)
{
	struct deb822_para	*p = NULL;
	struct dp_error		 err;

	(void)state;
	assert_int_equal(deb822_parse_one(SIGNED, strlen(SIGNED), "x.dsc",
	    DEB822_PGP, &p, &err), 0);
	assert_int_equal(p->nfields, 4);
	assert_int_equal(p->line, 4);
	assert_string_equal(p->fields[1].name, "Source");
	assert_string_equal(p->fields[1].value, "hello");
	deb822_para_free(p);

	p = NULL;
	assert_int_equal(deb822_parse_one("\n# x\n", 5, "e", DEB822_COMMENTS,
	    &p, &err), -1);
	assert_null(p);
	assert_string_equal(err.msg, "e: no paragraph (empty input)");
	assert_int_equal(deb822_parse_one("A: 1\n\nB: 2\n", 11, "two", 0, &p,
	    &err), -1);
	assert_null(p);
	assert_string_equal(err.msg, "two:3: unexpected second paragraph "
	    "(expected exactly one)");
	assert_int_equal(deb822_parse_one("A: 1\nA: 2\n", 10, "dup", 0, &p,
	    &err), -1);
	assert_null(p);
}

static void
test_write_roundtrip(void **state)
{
	struct buf		 b;
	struct deb822_para	*p = NULL;
	struct dp_error		 err;
	const char		*desc = "short\nlong text\n.\n indented";

	(void)state;
	buf_init(&b);
	deb822_field_write(&b, "Package", "hello");
	deb822_field_write(&b, "Description", desc);
	deb822_field_write(&b, "Files", "\na 1 x\nb 2 y");
	deb822_field_write(&b, "Gap", "a\n\nb");
	assert_string_equal(b.data, "Package: hello\n"
	    "Description: short\n long text\n .\n  indented\n"
	    "Files:\n a 1 x\n b 2 y\n"
	    "Gap: a\n .\n b\n");
	assert_int_equal(deb822_parse_one(b.data, b.len, "w", 0, &p, &err),
	    0);
	assert_string_equal(deb822_get(p, "Description"), desc);
	assert_string_equal(deb822_get(p, "Files"), "\na 1 x\nb 2 y");
	deb822_para_free(p);
	buf_done(&b);
}

static void
test_parse_file(void **state)
{
	char		 dir[] = "/tmp/t-deb822.XXXXXX", *path;
	struct seen	 s;
	struct dp_error	 err;
	FILE		*fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/control", dir);
	memset(&s, 0, sizeof(s));
	buf_init(&s.out);
	assert_int_equal(deb822_parse_file(path, 0, record_cb, &s, &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, "No such file"));
	assert_non_null(fp = fopen(path, "w"));
	fputs("Package: x\n", fp);
	fclose(fp);
	assert_int_equal(deb822_parse_file(path, 0, record_cb, &s, &err), 0);
	assert_string_equal(s.out.data, "@1" "1:Package=x;");
	/* a directory is an error, not an empty file */
	assert_int_equal(deb822_parse_file(dir, 0, record_cb, &s, &err), -1);
	unlink(path);
	rmdir(dir);
	free(path);
	buf_done(&s.out);
}

static int
count_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	long *n = arg;

	(void)err;
	if (strcmp(para->fields[0].name, "Package") != 0)
		return -1;
	n[0]++;
	n[1] += (long)para->nfields;
	return 0;
}

/* A Packages file of 100,000 paragraphs. */
static void
test_big(void **state)
{
	struct buf	b;
	struct dp_error	err;
	long		n[2] = { 0, 0 };
	struct timespec	t0, t1;
	int		i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 100000; i++)
		buf_printf(&b, "Package: pkg%d\nVersion: 1.%d-1\n"
		    "Architecture: amd64\nMaintainer: A <a@example.org>\n"
		    "Installed-Size: 123\nDepends: libc6 (>= 2.36)\n"
		    "Filename: pool/main/p/pkg%d/pkg%d_1.%d-1_amd64.deb\n"
		    "Size: 4567\nSHA256: %064d\n"
		    "Description: package %d\n a longer description\n .\n"
		    " second paragraph\n\n", i, i, i, i, i, i, i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(deb822_parse(b.data, b.len, "Packages", 0, count_cb,
	    n, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(n[0], 100000);
	assert_int_equal(n[1], 1000000);
	printf("# parsed 100000 paragraphs (%zu bytes) in %.3f s\n", b.len,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	buf_done(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_pgp),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_parse_one),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
