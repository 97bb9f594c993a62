/*
 * stamp.c - debian/changelog: read the top entry, stamp a version for a
 * build, write a new entry.
 *
 * A git build's version is the top changelog version followed by
 * "+git<UTC commit time YYYYMMDDHHMMSS>.<7 hex of the merged commit>".
 * It must sort above every version the watch has built before; when it
 * does not (a branch was reset to an older commit, the changelog version
 * went down, the same inputs are built again by hand), the version is
 * bumped:
 *
 *   1. take the highest earlier version, and when it has the form
 *      <base>+git<time>.<hash>, use <base>+git<time + 1 s>.<new hash>
 *      (the time is then no longer the commit time, the hash still is);
 *   2. otherwise append "+git<time>.<hash>" to the highest earlier
 *      version, which always sorts above it.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder.h"
#include "version.h"
#include "xmalloc.h"

#define STAMP_TIME_LEN	14	/* YYYYMMDDHHMMSS */
#define STAMP_HASH_LEN	7

void
changelog_top_done(struct changelog_top *top)
{
	if (top == NULL)
		return;
	free(top->source);
	free(top->version);
	free(top->dist);
	memset(top, 0, sizeof(*top));
}

int
stamp_version_valid(const char *v)
{
	return v != NULL && version_validate(v, NULL) == 0;
}

int
stamp_changelog_parse(const char *text, struct changelog_top *top,
    struct dp_error *err)
{
	const char	*line, *eol, *p, *open, *close, *semi;
	size_t		 len;
	int		 lineno = 1;

	memset(top, 0, sizeof(*top));
	line = text;
	/* Skip leading blank lines. */
	for (;;) {
		eol = strchr(line, '\n');
		len = eol != NULL ? (size_t)(eol - line) : strlen(line);
		for (p = line; p < line + len && isspace((unsigned char)*p);
		    p++)
			;
		if (p < line + len)
			break;
		if (eol == NULL) {
			dp_error_set(err, DP_ERR_PARSE, "debian/changelog: "
			    "empty file");
			return -1;
		}
		line = eol + 1;
		lineno++;
	}
	/* "source (version) dist1 dist2; urgency=..." */
	open = memchr(line, '(', len);
	close = open != NULL ? memchr(open, ')', len - (size_t)(open - line)) :
	    NULL;
	semi = close != NULL ? memchr(close, ';', len - (size_t)(close - line))
	    : NULL;
	if (open == NULL || close == NULL || semi == NULL || open == line ||
	    open[-1] != ' ') {
		dp_error_set(err, DP_ERR_PARSE, "debian/changelog:%d: the top "
		    "entry does not start with \"source (version) "
		    "distribution; urgency=...\"", lineno);
		return -1;
	}
	top->source = xstrndup(line, (size_t)(open - 1 - line));
	if (version_name_validate(top->source, NULL) == -1) {
		dp_error_set(err, DP_ERR_PARSE, "debian/changelog:%d: invalid "
		    "source package name '%s'", lineno, top->source);
		changelog_top_done(top);
		return -1;
	}
	top->version = xstrndup(open + 1, (size_t)(close - open - 1));
	if (!stamp_version_valid(top->version)) {
		dp_error_set(err, DP_ERR_PARSE, "debian/changelog:%d: invalid "
		    "version '%s'", lineno, top->version);
		changelog_top_done(top);
		return -1;
	}
	for (p = close + 1; p < semi && *p == ' '; p++)
		;
	top->dist = xstrndup(p, (size_t)(semi - p));
	if (top->dist[0] == '\0') {
		dp_error_set(err, DP_ERR_PARSE, "debian/changelog:%d: no "
		    "distribution in the top entry", lineno);
		changelog_top_done(top);
		return -1;
	}
	return 0;
}

static void
format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%d%H%M%S", &tm);
}

char *
stamp_git_version(const char *base, time_t t, const char *hash)
{
	char ts[32];

	format_time(t, ts, sizeof(ts));
	return xasprintf("%s+git%s.%.*s", base, ts, STAMP_HASH_LEN, hash);
}

/* Split "<base>+git<14 digits>.<7 hex>" into base and time. */
static int
split_git_version(const char *v, char **base, time_t *t)
{
	const char	*p, *suffix = NULL;
	struct tm	 tm;
	size_t		 len = strlen(v), i;
	char		 digits[STAMP_TIME_LEN + 1];

	/* The suffix is fixed length at the end. */
	if (len < 4 + STAMP_TIME_LEN + 1 + STAMP_HASH_LEN)
		return -1;
	p = v + len - (4 + STAMP_TIME_LEN + 1 + STAMP_HASH_LEN);
	if (strncmp(p, "+git", 4) != 0)
		return -1;
	suffix = p;
	p += 4;
	for (i = 0; i < STAMP_TIME_LEN; i++)
		if (!isdigit((unsigned char)p[i]))
			return -1;
	memcpy(digits, p, STAMP_TIME_LEN);
	digits[STAMP_TIME_LEN] = '\0';
	if (p[STAMP_TIME_LEN] != '.')
		return -1;
	for (i = 0; i < STAMP_HASH_LEN; i++)
		if (!isxdigit((unsigned char)p[STAMP_TIME_LEN + 1 + i]))
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(digits, "%Y%m%d%H%M%S", &tm) == NULL)
		return -1;
	*t = timegm(&tm);
	*base = xstrndup(v, (size_t)(suffix - v));
	return 0;
}

char *
stamp_version_above(const char *candidate, const char *hash,
    char *const prev[])
{
	const char	*max = NULL;
	char		*base = NULL, *v;
	time_t		 t, ct;
	size_t		 i;

	for (i = 0; prev != NULL && prev[i] != NULL; i++)
		if (max == NULL || version_compare(prev[i], max) > 0)
			max = prev[i];
	if (max == NULL || version_compare(candidate, max) > 0)
		return xstrdup(candidate);

	/* 1. Same form as the highest, one second later. */
	if (split_git_version(max, &base, &t) == 0) {
		char *cbase = NULL;

		if (split_git_version(candidate, &cbase, &ct) == 0 && ct > t)
			t = ct;
		else
			t++;
		free(cbase);
		v = stamp_git_version(base, t, hash);
		free(base);
		if (version_compare(v, max) > 0)
			return v;
		free(v);
	}
	/* 2. Append to the highest (the candidate's epoch left out). */
	if (split_git_version(candidate, &base, &ct) == 0) {
		v = stamp_git_version(max, ct, hash);
		free(base);
	} else {
		const char *tail = strchr(candidate, ':');

		v = xasprintf("%s+%s", max, tail != NULL ? tail + 1 :
		    candidate);
	}
	if (version_validate(v, NULL) == 0 && version_compare(v, max) > 0)
		return v;
	/*
	 * 3. The candidate's own text would not do (a colon left in it
	 * reads as an epoch): a git suffix on the highest always sorts
	 * above it.
	 */
	free(v);
	return stamp_git_version(max, 0, hash);
}

void
stamp_rfc2822(time_t t, char *buf, size_t len)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	/* Not strftime: %a/%b follow the locale. */
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *
stamp_entry(const char *source, const char *version, const char *dist,
    const char *maintainer, time_t when, char *const lines[])
{
	struct buf	b;
	char		date[64];
	size_t		i;

	buf_init(&b);
	stamp_rfc2822(when, date, sizeof(date));
	buf_printf(&b, "%s (%s) %s; urgency=medium\n\n", source, version,
	    dist);
	for (i = 0; lines != NULL && lines[i] != NULL; i++)
		buf_printf(&b, "  * %s\n", lines[i]);
	buf_printf(&b, "\n -- %s  %s\n\n", maintainer, date);
	return buf_steal(&b);
}
