/*
 * html.c - the escaping writer of the web interface.  Everything that is
 * not a literal of the page templates goes through html_printf's %s
 * (escaped as text and as a quoted attribute value at once), so a
 * package name, a version, a log line, a reason or a job URL can never
 * become markup.  A URL becomes a link only when it is http(s).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "promoter.h"
#include "xmalloc.h"

void
html_escape(struct buf *b, const char *s, size_t len)
{
	const char	*p, *end = s + len, *run = s;
	const char	*rep;

	for (p = s; p < end; p++) {
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\0':
			rep = "\xef\xbf\xbd";	/* U+FFFD */
			break;
		default:
			/* Control characters but tab and newline. */
			if ((unsigned char)*p < 0x20 && *p != '\t' &&
			    *p != '\n') {
				rep = "\xef\xbf\xbd";
				break;
			}
			continue;
		}
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, rep);
		run = p + 1;
	}
	buf_add(b, run, (size_t)(end - run));
}

void
html_text(struct buf *b, const char *s)
{
	if (s != NULL)
		html_escape(b, s, strlen(s));
}

/*
 * printf for markup: the format is trusted, every %s argument is escaped
 * (NULL prints as ""), %d %ld %lld %zu %% as usual.
 */
void
html_printf(struct buf *b, const char *fmt, ...)
{
	va_list		 ap;
	const char	*p, *run = fmt;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		buf_add(b, run, (size_t)(p - run));
		p++;
		if (*p == 's')
			html_text(b, va_arg(ap, const char *));
		else if (*p == 'd')
			buf_printf(b, "%d", va_arg(ap, int));
		else if (p[0] == 'l' && p[1] == 'd') {
			buf_printf(b, "%ld", va_arg(ap, long));
			p++;
		} else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'd') {
			buf_printf(b, "%lld", va_arg(ap, long long));
			p += 2;
		} else if (p[0] == 'z' && p[1] == 'u') {
			buf_printf(b, "%zu", va_arg(ap, size_t));
			p++;
		} else if (*p == '%')
			buf_addc(b, '%');
		else
			break;	/* unsupported: stop (never in our templates) */
		run = p + 1;
	}
	if (*p == '\0')
		buf_add(b, run, (size_t)(p - run));
	va_end(ap);
}

int
html_url_ok(const char *url)
{
	return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0) &&
	    strpbrk(url, " \t\r\n") == NULL;
}

void
html_link(struct buf *b, const char *url, const char *text)
{
	if (text == NULL)
		text = url;
	if (html_url_ok(url))
		html_printf(b, "<a href=\"%s\" rel=\"noopener noreferrer "
		    "nofollow\">%s</a>", url, text);
	else
		html_text(b, text);
}
