/* t-html.c - the web interface's escaping writer (promoter/html.c):
 * every special character escaped, NUL and control characters replaced,
 * html_printf escaping its %s arguments and not its format, links only
 * for http(s) URLs. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "promoter.h"
#include "xmalloc.h"

/* The NUL-terminated contents of b (b is reset). */
static char *
take(struct buf *b)
{
	buf_addc(b, '\0');
	return buf_steal(b);
}

static void
test_escape(void **state)
{
	struct buf	 b;
	char		*s;

	(void)state;
	buf_init(&b);
	html_text(&b, "<script>alert(\"x\" & 'y')</script>");
	s = take(&b);
	assert_string_equal(s, "&lt;script&gt;alert(&quot;x&quot; &amp; "
	    "&#39;y&#39;)&lt;/script&gt;");
	free(s);

	buf_init(&b);
	html_text(&b, NULL);
	html_text(&b, "");
	html_text(&b, "plain text, tab\tand\nnewline stay; caf\xc3\xa9");
	s = take(&b);
	assert_string_equal(s, "plain text, tab\tand\nnewline stay; "
	    "caf\xc3\xa9");
	free(s);

	/* Already escaped text is escaped again (no double decoding). */
	buf_init(&b);
	html_text(&b, "&lt;");
	s = take(&b);
	assert_string_equal(s, "&amp;lt;");
	free(s);
}

static void
test_escape_controls(void **state)
{
	struct buf	 b;
	char		*s;
	static const char in[] = "a\0b\x01" "c\x1b[31md\re\x7f";

	(void)state;
	buf_init(&b);
	/* A log line with a NUL, escapes and a carriage return. */
	html_escape(&b, in, sizeof(in) - 1);
	s = take(&b);
	assert_string_equal(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "[31md\xef\xbf\xbd" "e\x7f");
	free(s);

	/* Only len bytes are read. */
	buf_init(&b);
	html_escape(&b, "<ab>", 2);
	s = take(&b);
	assert_string_equal(s, "&lt;a");
	free(s);
}

static void
test_printf(void **state)
{
	struct buf	 b;
	char		*s;
	const char	*volatile none = NULL;	/* NULL prints "" */

	(void)state;
	buf_init(&b);
	html_printf(&b, "<td class=\"%s\">%s</td><td>%d %ld %lld %zu 100%%"
	    "</td>", "x\" onmouseover=\"alert(1)", none, -3, 40L, 5000000000LL,
	    (size_t)7);
	s = take(&b);
	assert_string_equal(s, "<td class=\"x&quot; onmouseover=&quot;"
	    "alert(1)\"></td><td>-3 40 5000000000 7 100%</td>");
	free(s);

	/* Text after the last conversion is kept. */
	buf_init(&b);
	html_printf(&b, "%s<br>", "<b>");
	s = take(&b);
	assert_string_equal(s, "&lt;b&gt;<br>");
	free(s);
}

static void
test_url_ok(void **state)
{
	(void)state;
	assert_true(html_url_ok("http://ci.example.org/job/1"));
	assert_true(html_url_ok("https://ci.example.org/job/1?a=1&b=2"));
	assert_true(html_url_ok("HTTPS://CI.EXAMPLE.ORG/"));
	assert_false(html_url_ok(NULL));
	assert_false(html_url_ok(""));
	assert_false(html_url_ok("javascript:alert(1)"));
	assert_false(html_url_ok("JavaScript:alert(1)"));
	assert_false(html_url_ok(" javascript:alert(1)"));
	assert_false(html_url_ok("data:text/html,<script>x</script>"));
	assert_false(html_url_ok("vbscript:x"));
	assert_false(html_url_ok("file:///etc/passwd"));
	assert_false(html_url_ok("ftp://example.org/"));
	assert_false(html_url_ok("//evil.example.org/"));
	assert_false(html_url_ok("/ui/"));
	assert_false(html_url_ok("https://ok.example.org/ javascript:x"));
	assert_false(html_url_ok("https://a.example.org/\nx"));
	assert_false(html_url_ok("http:/x"));
}

static void
test_link(void **state)
{
	struct buf	 b;
	char		*s;

	(void)state;
	buf_init(&b);
	html_link(&b, "https://ci.example.org/job/1?a=1&b=\"><script>",
	    "acc<eptance");
	s = take(&b);
	assert_string_equal(s, "<a href=\"https://ci.example.org/job/1?a=1"
	    "&amp;b=&quot;&gt;&lt;script&gt;\" rel=\"noopener noreferrer "
	    "nofollow\">acc&lt;eptance</a>");
	free(s);

	/* Not http(s): the text only, escaped, no href anywhere. */
	buf_init(&b);
	html_link(&b, "javascript:alert(1)", "upgrade");
	s = take(&b);
	assert_string_equal(s, "upgrade");
	free(s);

	/* No text: the URL is the text, escaped. */
	buf_init(&b);
	html_link(&b, "javascript:alert('<x>')", NULL);
	s = take(&b);
	assert_string_equal(s, "javascript:alert(&#39;&lt;x&gt;&#39;)");
	free(s);

	buf_init(&b);
	html_link(&b, "http://example.org/", NULL);
	s = take(&b);
	assert_string_equal(s, "<a href=\"http://example.org/\" rel=\"noopener "
	    "noreferrer nofollow\">http://example.org/</a>");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_url_ok),
		cmocka_unit_test(test_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
