/* util.c - time, name and JSON helpers for the promoter. */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "db-stmt.h"
#include "promoter.h"
#include "snapid.h"
#include "xmalloc.h"

char *
util_time_fmt(time_t t, char buf[32])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

time_t
util_time_parse(const char *s)
{
	struct tm	 tm;
	const char	*end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	/* Fractions of a second are ignored. */
	if (*end == '.')
		while (*++end != '\0' && isdigit((unsigned char)*end))
			;
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0 &&
	    *end != '\0')
		return -1;
	return timegm(&tm);
}

int
util_snapshot_id_ok(const char *id)
{
	return snapid_valid(id);
}

time_t
util_snapshot_id_time(const char *id)
{
	struct tm	tm;

	if (!util_snapshot_id_ok(id))
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(id, "%Y%m%dT%H%M%SZ", &tm) == NULL)
		return -1;
	return timegm(&tm);
}

int
util_name_ok(const char *s)
{
	size_t	i, len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len == 0 || len > 128 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._:+@/-", s[i]) == NULL)
			return 0;
	}
	return 1;
}

json_t *
util_jstr(const char *s)
{
	json_t	*j;

	if (s == NULL || (j = json_string(s)) == NULL)
		return json_null();
	return j;
}

char *
util_url_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b;
	const unsigned char	*p;

	buf_init(&b);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL)
			buf_addc(&b, (char)*p);
		else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	return buf_steal(&b);
}

int
util_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
    struct dp_error *err)
{
	return db_stmt_get(db, sql, st, err);
}

void
util_finalize(sqlite3_stmt *st)
{
	db_stmt_put(st);
}
