/*
 * upstream.c - upstream apt repositories: Type: apt (import binaries) and
 * Type: apt-source (fetch, unpack and patch a source package for a
 * rebuild).  See upstream.h.
 *
 * Everything that comes from upstream is untrusted until the Release file
 * is verified against the watch's Signed-By keyring; after that every
 * index is checked against the Release SHA256 sums and every package file
 * against its index entry, with sizes capped before anything is written.
 * Files are written only below State-Dir/incoming/<watch>/ (apt) or the
 * caller's workdir (apt-source), under names that fs_name_is_safe accepts.
 */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compress.h"
#include "config.h"
#include "db.h"
#include "deb822.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "hash.h"
#include "pool.h"
#include "sign.h"
#include "spawn.h"
#include "upstream.h"
#include "upstream-int.h"
#include "version.h"
#include "xmalloc.h"




/* A selected binary package from a Packages index. */
struct upkg {
	char		*name;
	char		*arch;
	char		*version;
	char		*filename;
	uint64_t	 size;
	char		 sha256[65];
};

struct upkg_list {
	struct upkg	*v;
	size_t		 n, cap;
};


/* -- small helpers ---------------------------------------------------- */

void
upstream_sums_free(struct sumfile *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(f[i].name);
	free(f);
}

static void
release_done(struct release *r)
{
	free(r->suite);
	free(r->codename);
	strv_free(r->components);
	strv_free(r->archs);
	upstream_sums_free(r->files, r->nfiles);
	free(r->valid_until_str);
	free(r->date_str);
	memset(r, 0, sizeof(*r));
}

static void
upkg_list_done(struct upkg_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].arch);
		free(l->v[i].version);
		free(l->v[i].filename);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Split on white space into a NULL-terminated vector. */
char **
upstream_words(const char *s)
{
	char	**v = NULL;
	size_t	  n = 0;
	const char *p = s, *start;

	v = xcalloc(1, sizeof(*v));
	while (p != NULL && *p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = xstrndup(start, (size_t)(p - start));
		v[n] = NULL;
	}
	return v;
}

static int
strv_has(char *const *v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char		*end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * Parse the lines of a checksum field ("sha256 size name" each; the first
 * line of the value is usually empty).  -1 with err on a malformed line.
 */
int
upstream_sums_parse(const char *value, const char *what, struct sumfile **out,
    size_t *nout, struct dp_error *err)
{
	struct sumfile	*v = NULL;
	size_t		 n = 0;
	char		*copy, *line, *save = NULL;
	char		**w = NULL;
	int		 rv = -1;

	copy = xstrdup(value);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		strv_free(w);
		w = upstream_words(line);
		if (w[0] == NULL)
			continue;
		if (strv_len(w) != 3 || !hash_hex_valid(w[0], 64)) {
			dp_error_set(err, DP_ERR_PARSE, "%s: malformed "
			    "checksum line '%.100s'", what, line);
			goto out;
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].sha256, w[0], 65);
		if (parse_u64(w[1], &v[n].size) == -1) {
			dp_error_set(err, DP_ERR_PARSE, "%s: bad size in "
			    "checksum line '%.100s'", what, line);
			goto out;
		}
		v[n].name = xstrdup(w[2]);
		n++;
	}
	rv = 0;
out:
	strv_free(w);
	free(copy);
	if (rv == -1) {
		upstream_sums_free(v, n);
		v = NULL;
		n = 0;
	}
	*out = v;
	*nout = n;
	return rv;
}

const struct sumfile *
upstream_sums_find(const struct sumfile *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* RFC 2822 date as used in Release files ("Sat, 22 Nov 2026 02:00:00
 * UTC"); the weekday is optional, the zone UTC/GMT/Z or +hhmm. */
static int
parse_release_date(const char *s, time_t *out)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	char		 mon[4], zone[16];
	const char	*p;
	int		 day, year, hh, mm, ss, i, off = 0;

	p = strchr(s, ',');
	p = p != NULL ? p + 1 : s;
	memset(&tm, 0, sizeof(tm));
	zone[0] = '\0';
	if (sscanf(p, " %d %3s %d %d:%d:%d %15s", &day, mon, &year, &hh, &mm,
	    &ss, zone) < 6)
		return -1;
	for (i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			break;
	if (i == 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (zone[0] == '+' || zone[0] == '-') {
		if (strlen(zone) != 5 || !isdigit((unsigned char)zone[1]))
			return -1;
		off = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 3600 +
		    ((zone[3] - '0') * 10 + (zone[4] - '0')) * 60;
		if (zone[0] == '-')
			off = -off;
	} else if (zone[0] != '\0' && strcasecmp(zone, "UTC") != 0 &&
	    strcasecmp(zone, "GMT") != 0 && strcasecmp(zone, "Z") != 0)
		return -1;
	tm.tm_mday = day;
	tm.tm_mon = i;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*out = timegm(&tm) - off;
	return 0;
}

/* -- state (watches.state, JSON) ---------------------------------------- */

static int
state_load(struct up *u, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*text;
	json_error_t	 jerr;
	int		 rc, rv = -1;

	if (db_prepare(u->db, "SELECT state FROM watches WHERE name = ?1",
	    &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, u->w->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    (text = (const char *)sqlite3_column_text(st, 0)) != NULL)
		u->state = json_loads(text, 0, &jerr);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(u->db), "read state of watch "
		    "%s", u->w->name);
		goto out;
	}
	/* A state that is not a JSON object is forgotten, not fatal. */
	if (u->state == NULL || !json_is_object(u->state)) {
		json_decref(u->state);
		u->state = json_object();
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

const char *
upstream_state_get(struct up *u, const char *key)
{
	return json_string_value(json_object_get(u->state, key));
}

void
upstream_state_set(struct up *u, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(u->state, key, json_string(value));
	else
		json_object_del(u->state, key);
}

int
upstream_state_save(struct up *u, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		*text;
	int		 rv = -1;

	text = json_dumps(u->state, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot encode watch state");
		return -1;
	}
	if (db_prepare(u->db, "INSERT INTO watches (name, state) "
	    "VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET "
	    "state = excluded.state", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, u->w->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(u->db), "save state of watch "
		    "%s", u->w->name);
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	free(text);
	return rv;
}

/* Digest of the watch settings that decide what is selected: when they
 * change, the conditional shortcut must not hide the new selection. */
static char *
config_digest(const struct conf_watch *w)
{
	struct buf		b;
	struct hash_sums	sums;
	char *const		*p;

	buf_init(&b);
	buf_printf(&b, "%s\n%s\n%s\n%s\n%s\n", w->url ? w->url : "",
	    w->suite ? w->suite : "", w->signed_by ? w->signed_by : "",
	    w->dist ? w->dist : "", w->component ? w->component : "");
	for (p = w->components; p != NULL && *p != NULL; p++)
		buf_printf(&b, "c %s\n", *p);
	for (p = w->archs; p != NULL && *p != NULL; p++)
		buf_printf(&b, "a %s\n", *p);
	for (p = w->packages; p != NULL && *p != NULL; p++)
		buf_printf(&b, "p %s\n", *p);
	if (w->source != NULL)
		buf_printf(&b, "s %s\n", w->source);
	hash_buf(b.data, b.len, &sums);
	buf_done(&b);
	return xstrdup(sums.sha256);
}

/* -- Release ------------------------------------------------------------ */

static int
release_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	struct release	*r = arg;
	const char	*v;

	if (r->seen++)
		return 0;	/* only the first paragraph counts */
	r->suite = xstrdup(deb822_get(para, "Suite"));
	r->codename = xstrdup(deb822_get(para, "Codename"));
	r->components = upstream_words(deb822_get(para, "Components"));
	r->archs = upstream_words(deb822_get(para, "Architectures"));
	if ((v = deb822_get(para, "Valid-Until")) != NULL) {
		if (parse_release_date(v, &r->valid_until) == -1) {
			dp_error_set(err, DP_ERR_PARSE, "Valid-Until: cannot "
			    "parse date '%.64s'", v);
			return -1;
		}
		r->valid_until_str = xstrdup(v);
	}
	if ((v = deb822_get(para, "Date")) != NULL &&
	    parse_release_date(v, &r->date) == 0)
		r->date_str = xstrdup(v);
	if ((v = deb822_get(para, "SHA256")) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "no SHA256 field (only "
		    "SHA256 checksums are trusted)");
		return -1;
	}
	return upstream_sums_parse(v, "SHA256", &r->files, &r->nfiles, err);
}

int
upstream_release_parse(const char *buf, size_t len, const char *what,
    struct release *r, struct dp_error *err)
{
	return deb822_parse(buf, len, what, 0, release_para_cb, r, err);
}

void
upstream_release_done(struct release *r)
{
	release_done(r);
}

static int
release_check(struct up *u, const char *url, struct dp_error *err)
{
	struct release	*r = &u->rel;
	const char	*suite = u->w->suite, *prev;
	time_t		 prevdate;

	if (!r->seen) {
		dp_error_set(err, DP_ERR_PARSE, "%s: empty Release file", url);
		return -1;
	}
	if (r->valid_until != 0 && r->valid_until < time(NULL)) {
		dp_error_set(err, DP_ERR_INVALID, "%s: Release expired "
		    "(Valid-Until: %s): the upstream repository is stale or "
		    "replaying old metadata; refusing it", url,
		    r->valid_until_str);
		return -1;
	}
	/* A signed but older Release than the last one imported: a
	 * replayed or rolled-back mirror. */
	if (r->date != 0 &&
	    (prev = upstream_state_get(u, "release_date")) != NULL &&
	    parse_release_date(prev, &prevdate) == 0 && r->date < prevdate) {
		dp_error_set(err, DP_ERR_INVALID, "%s: Release is older "
		    "(Date: %s) than the last one imported (Date: %s): the "
		    "mirror is replaying old metadata or was rolled back; "
		    "refusing it", url, r->date_str, prev);
		return -1;
	}
	if ((r->suite != NULL || r->codename != NULL) &&
	    (r->suite == NULL || strcmp(r->suite, suite) != 0) &&
	    (r->codename == NULL || strcmp(r->codename, suite) != 0)) {
		dp_error_set(err, DP_ERR_INVALID, "%s: Release is for suite "
		    "'%s' (codename '%s'), not '%s' as configured", url,
		    r->suite ? r->suite : "", r->codename ? r->codename : "",
		    suite);
		return -1;
	}
	return 0;
}

/*
 * Fetch dists/<Suite>/InRelease (or Release + Release.gpg), verify it
 * against the watch's keyring and parse it into u->rel.  With conditional
 * set, use the validators in u->state; a 304 sets u->unchanged.
 */
int
upstream_release_fetch(struct up *u, int conditional, struct dp_error *err)
{
	struct fetch_req	 req;
	struct fetch_result	 res, sig;
	struct buf		 plain;
	struct hash_sums	 sums;
	char			*url = NULL, *sigurl = NULL;
	const char		*kind = "InRelease", *prev;
	int			 rv = -1;

	fetch_result_init(&res);
	fetch_result_init(&sig);
	buf_init(&plain);
	if (u->w->signed_by == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch %s has no "
		    "Signed-By: upstream metadata must be verified",
		    u->w->file, u->w->line, u->w->name);
		goto out;
	}
	if (u->w->suite == NULL || !fs_relpath_is_safe(u->w->suite)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch %s: missing "
		    "or unusable Suite:", u->w->file, u->w->line,
		    u->w->name);
		goto out;
	}

	memset(&req, 0, sizeof(req));
	url = xasprintf("%s/dists/%s/InRelease", u->base, u->w->suite);
	req.url = url;
	req.max_size = RELEASE_MAX;
	if (conditional) {
		req.etag = upstream_state_get(u, "etag");
		req.last_modified = upstream_state_get(u, "last_modified");
		if (upstream_state_get(u, "release_url") == NULL ||
		    strcmp(upstream_state_get(u, "release_url"), url) != 0)
			req.etag = req.last_modified = NULL;
	}
	if (fetch_get(u->fetch, &req, &res, err) == -1) {
		if (err == NULL || err->code != DP_ERR_NOTFOUND)
			goto out;
		/* No InRelease: Release + Release.gpg. */
		kind = "Release";
		free(url);
		url = xasprintf("%s/dists/%s/Release", u->base, u->w->suite);
		req.url = url;
		prev = upstream_state_get(u, "release_url");
		if (conditional && (prev == NULL || strcmp(prev, url) != 0))
			req.etag = req.last_modified = NULL;
		if (fetch_get(u->fetch, &req, &res, err) == -1) {
			if (err != NULL && err->code == DP_ERR_NOTFOUND)
				dp_error_set(err, DP_ERR_NOTFOUND, "%s/dists/"
				    "%s/: neither InRelease nor Release "
				    "found (wrong URL or Suite?)", u->base,
				    u->w->suite);
			goto out;
		}
	}
	if (res.not_modified) {
		u->unchanged = 1;
		rv = 0;
		goto out;
	}

	if (strcmp(kind, "InRelease") == 0) {
		if (res.body.len < 34 || strncmp(res.body.data,
		    "-----BEGIN PGP SIGNED MESSAGE-----", 34) != 0) {
			dp_error_set(err, DP_ERR_GPG, "%s: not signed (no "
			    "OpenPGP clearsign armour); refusing unsigned "
			    "upstream metadata", url);
			goto out;
		}
		if (sign_verify(u->w->signed_by, res.body.data, res.body.len,
		    NULL, 0, &plain, err) == -1) {
			dp_error_prefix(err, "%s: signature check against %s "
			    "failed", url, u->w->signed_by);
			goto out;
		}
	} else {
		sigurl = xasprintf("%s.gpg", url);
		memset(&req, 0, sizeof(req));
		req.url = sigurl;
		req.max_size = SIG_MAX;
		if (fetch_get(u->fetch, &req, &sig, err) == -1) {
			if (err != NULL && err->code == DP_ERR_NOTFOUND)
				dp_error_set(err, DP_ERR_GPG, "%s: unsigned "
				    "(no InRelease and no Release.gpg); "
				    "refusing unsigned upstream metadata",
				    url);
			goto out;
		}
		if (sign_verify(u->w->signed_by, res.body.data, res.body.len,
		    sig.body.data, sig.body.len, NULL, err) == -1) {
			dp_error_prefix(err, "%s: signature check against %s "
			    "failed", sigurl, u->w->signed_by);
			goto out;
		}
		buf_add(&plain, res.body.data, res.body.len);
	}

	hash_buf(plain.data, plain.len, &sums);
	memcpy(u->digest, sums.sha256, sizeof(u->digest));
	if (upstream_release_parse(plain.data, plain.len, url, &u->rel,
	    err) == -1)
		goto out;
	if (release_check(u, url, err) == -1)
		goto out;
	free(u->etag);
	free(u->last_modified);
	u->etag = res.etag;
	u->last_modified = res.last_modified;
	res.etag = res.last_modified = NULL;
	upstream_state_set(u, "release_url", url);
	rv = 0;
out:
	if (rv == -1)
		dp_error_prefix(err, "watch %s", u->w->name);
	fetch_result_done(&res);
	fetch_result_done(&sig);
	buf_done(&plain);
	free(url);
	free(sigurl);
	return rv;
}

/* Remember the validators of the Release just processed. */
void
upstream_state_set_release(struct up *u)
{
	upstream_state_set(u, "etag", u->etag);
	upstream_state_set(u, "last_modified", u->last_modified);
	upstream_state_set(u, "release_sha256", u->digest);
	if (u->rel.date_str != NULL)
		upstream_state_set(u, "release_date", u->rel.date_str);
	upstream_state_set(u, "config", u->cfgdigest);
	upstream_state_set(u, "checked", db_now());
}

/*
 * Fetch the index "<path>" ("main/binary-amd64/Packages") in the best
 * compression the Release lists (.xz, .gz, plain), verify it against the
 * Release and decompress it into out.  DP_ERR_NOTFOUND when the Release
 * lists none.
 */
int
upstream_index_fetch(struct up *u, const char *path, struct buf *out,
    struct dp_error *err)
{
	static const struct {
		const char		*ext;
		enum compress_kind	 kind;
	} exts[] = {
		{ ".xz", COMPRESS_XZ },
		{ ".gz", COMPRESS_GZIP },
		{ "", COMPRESS_NONE },
	};
	const struct sumfile	*sf, *plainsf;
	struct fetch_req	 req;
	struct fetch_result	 res;
	struct hash_sums	 sums;
	char			*name = NULL, *url = NULL, hex[65];
	uint64_t		 cap;
	size_t			 i;
	int			 rv = -1, listed = 0;

	fetch_result_init(&res);
	plainsf = upstream_sums_find(u->rel.files, u->rel.nfiles, path);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		free(name);
		name = xasprintf("%s%s", path, exts[i].ext);
		sf = upstream_sums_find(u->rel.files, u->rel.nfiles, name);
		if (sf == NULL)
			continue;
		listed = 1;
		if (sf->size > INDEX_MAX) {
			dp_error_set(err, DP_ERR_INVALID, "%s: Release "
			    "declares %" PRIu64 " bytes, more than the limit "
			    "of %llu", name, sf->size, INDEX_MAX);
			goto out;
		}
		free(url);
		url = xasprintf("%s/dists/%s/%s", u->base, u->w->suite, name);
		memset(&req, 0, sizeof(req));
		req.url = url;
		req.max_size = sf->size;
		if (fetch_get(u->fetch, &req, &res, err) == -1) {
			if (err != NULL && err->code == DP_ERR_NOTFOUND)
				continue;	/* try the next form */
			if (err != NULL && err->code == DP_ERR_INVALID)
				dp_error_set(err, DP_ERR_INVALID, "%s: does "
				    "not match the signed Release (larger than "
				    "the %" PRIu64 " bytes it declares): "
				    "tampered or inconsistent mirror", url,
				    sf->size);
			goto out;
		}
		fetch_hex(res.sha256, hex);
		if (res.size != sf->size || strcmp(hex, sf->sha256) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s: does not "
			    "match the signed Release (size %" PRIu64 ", "
			    "expected %" PRIu64 "; SHA256 %s, expected %s): "
			    "tampered or inconsistent mirror", url, res.size,
			    sf->size, hex, sf->sha256);
			goto out;
		}
		buf_reset(out);
		cap = plainsf != NULL ? plainsf->size : INDEX_PLAIN_MAX;
		if (cap > INDEX_PLAIN_MAX)
			cap = INDEX_PLAIN_MAX;
		if (exts[i].kind == COMPRESS_NONE)
			buf_add(out, res.body.data, res.body.len);
		else if (decompress_buf(exts[i].kind, res.body.data,
		    res.body.len, (size_t)cap, out, err) == -1) {
			dp_error_prefix(err, "%s", url);
			goto out;
		}
		if (plainsf != NULL && exts[i].kind != COMPRESS_NONE) {
			hash_buf(out->data, out->len, &sums);
			if (sums.size != plainsf->size ||
			    strcmp(sums.sha256, plainsf->sha256) != 0) {
				dp_error_set(err, DP_ERR_INVALID, "%s: "
				    "decompressed content does not match the "
				    "signed Release", url);
				goto out;
			}
		}
		rv = 0;
		goto out;
	}
	if (listed)
		dp_error_set(err, DP_ERR_NOTFOUND, "%s/dists/%s/%s: listed in "
		    "Release but missing on the server", u->base,
		    u->w->suite, path);
	else
		dp_error_set(err, DP_ERR_NOTFOUND, "%s/dists/%s/: Release "
		    "lists no %s{.xz,.gz,}", u->base, u->w->suite, path);
out:
	fetch_result_done(&res);
	free(name);
	free(url);
	return rv;
}

/* -- Type: apt ---------------------------------------------------------- */

struct pkgs_arg {
	struct up		*u;
	const char		*what;	/* index URL, for messages */
	char *const		*archs;	/* accepted Architectures */
	struct upkg_list	*list;
};

static int
packages_selected(const struct conf_watch *w, const char *name)
{
	char *const	*p;

	if (w->packages == NULL || w->packages[0] == NULL)
		return 1;
	for (p = w->packages; *p != NULL; p++)
		if (fnmatch(*p, name, 0) == 0)
			return 1;
	return 0;
}

static int
packages_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	struct pkgs_arg		*a = arg;
	struct upkg		*p;
	const char		*name, *arch, *ver, *fn, *size, *sha;
	const char		*base;
	uint64_t		 sz;

	name = deb822_get(para, "Package");
	if (name == NULL || !packages_selected(a->u->w, name))
		return 0;
	arch = deb822_get(para, "Architecture");
	ver = deb822_get(para, "Version");
	fn = deb822_get(para, "Filename");
	size = deb822_get(para, "Size");
	sha = deb822_get(para, "SHA256");
	if (version_name_validate(name, err) == -1 || arch == NULL ||
	    version_arch_validate(arch, err) == -1 || ver == NULL ||
	    version_validate(ver, err) == -1) {
		if (arch == NULL || ver == NULL)
			dp_error_set(err, DP_ERR_PARSE, "missing Architecture "
			    "or Version");
		goto bad;
	}
	if (!strv_has(a->archs, arch) && strcmp(arch, "all") != 0)
		return 0;
	if (fn == NULL || !fs_relpath_is_safe(fn)) {
		dp_error_set(err, DP_ERR_INVALID, "Filename '%.200s' is not "
		    "a safe relative path", fn ? fn : "");
		goto bad;
	}
	base = strrchr(fn, '/');
	base = base != NULL ? base + 1 : fn;
	if (strlen(base) < 5 || strcmp(base + strlen(base) - 4, ".deb") != 0) {
		dp_error_set(err, DP_ERR_INVALID, "Filename '%.200s' is not "
		    "a .deb", fn);
		goto bad;
	}
	if (size == NULL || parse_u64(size, &sz) == -1 || sz == 0 ||
	    sz > FILE_MAX) {
		dp_error_set(err, DP_ERR_INVALID, "Size '%.64s' missing, "
		    "malformed or above the limit of %llu bytes",
		    size ? size : "", FILE_MAX);
		goto bad;
	}
	if (sha == NULL || !hash_hex_valid(sha, 64)) {
		dp_error_set(err, DP_ERR_INVALID, "missing or malformed "
		    "SHA256");
		goto bad;
	}
	if (a->list->n == a->list->cap) {
		a->list->cap = a->list->cap ? a->list->cap * 2 : 64;
		a->list->v = xreallocarray(a->list->v, a->list->cap,
		    sizeof(*a->list->v));
	}
	p = &a->list->v[a->list->n++];
	p->name = xstrdup(name);
	p->arch = xstrdup(arch);
	p->version = xstrdup(ver);
	p->filename = xstrdup(fn);
	p->size = sz;
	memcpy(p->sha256, sha, 65);
	return 0;
bad:
	dp_error_prefix(err, "%s:%d: package %.100s", a->what, para->line,
	    name);
	return -1;
}

static void	upkg_newest(struct upkg_list *);

int
upstream_packages_parse(const struct conf_watch *w, char *const *archs,
    const char *buf, size_t len, const char *what, size_t *nsel,
    struct dp_error *err)
{
	struct up		 u;
	struct upkg_list	 sel;
	struct pkgs_arg		 pa;
	int			 rv;

	memset(&u, 0, sizeof(u));
	memset(&sel, 0, sizeof(sel));
	u.w = w;
	pa.u = &u;
	pa.what = what;
	pa.archs = archs;
	pa.list = &sel;
	rv = deb822_parse(buf, len, what, 0, packages_para_cb, &pa, err);
	upkg_newest(&sel);
	*nsel = sel.n;
	upkg_list_done(&sel);
	return rv;
}

static int
upkg_cmp(const void *pa, const void *pb)
{
	const struct upkg	*a = pa, *b = pb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	if ((c = strcmp(a->arch, b->arch)) != 0)
		return c;
	/* newest first */
	return version_compare(b->version, a->version);
}

/* Keep only the newest version per name/arch (sorted by name, arch). */
static void
upkg_newest(struct upkg_list *l)
{
	size_t	i, k = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), upkg_cmp);
	for (i = 0; i < l->n; i++) {
		if (k > 0 && strcmp(l->v[k - 1].name, l->v[i].name) == 0 &&
		    strcmp(l->v[k - 1].arch, l->v[i].arch) == 0) {
			free(l->v[i].name);
			free(l->v[i].arch);
			free(l->v[i].version);
			free(l->v[i].filename);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* What the pool has from this watch: newest version per name/arch,
 * sorted by name, arch. */
struct have {
	char	*name;
	char	*arch;
	char	*version;
};

static int
have_cmp(const void *pa, const void *pb)
{
	const struct have	*a = pa, *b = pb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return strcmp(a->arch, b->arch);
}

static void
have_free(struct have *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].arch);
		free(h[i].version);
	}
	free(h);
}

static int
have_load(struct up *u, struct have **out, size_t *nout,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	struct have	*h = NULL;
	char		*origin;
	size_t		 n = 0, cap = 0, i, k;
	int		 rc, rv = -1;

	origin = xasprintf("apt:%s", u->w->name);
	if (db_prepare(u->db, "SELECT name, arch, version FROM packages "
	    "WHERE origin = ?1 AND dist = ?2", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->w->dist, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			h = xreallocarray(h, cap, sizeof(*h));
		}
		h[n].name = xstrdup((const char *)sqlite3_column_text(st, 0));
		h[n].arch = xstrdup((const char *)sqlite3_column_text(st, 1));
		h[n].version = xstrdup((const char *)
		    sqlite3_column_text(st, 2));
		n++;
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(u->db), "read packages of %s",
		    origin);
		goto out;
	}
	if (n > 0)
		qsort(h, n, sizeof(*h), have_cmp);
	/* Newest per name/arch. */
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && have_cmp(&h[k - 1], &h[i]) == 0) {
			if (version_compare(h[i].version, h[k - 1].version) >
			    0) {
				free(h[k - 1].version);
				h[k - 1].version = h[i].version;
				h[i].version = NULL;
			}
			free(h[i].name);
			free(h[i].arch);
			free(h[i].version);
			continue;
		}
		h[k++] = h[i];
	}
	n = k;
	rv = 0;
out:
	sqlite3_finalize(st);
	free(origin);
	if (rv == -1) {
		have_free(h, n);
		h = NULL;
		n = 0;
	}
	*out = h;
	*nout = n;
	return rv;
}

static void
report_add(struct upstream_report *rep, const char *name, const char *arch,
    const char *oldv, const char *newv)
{
	struct upstream_change	*c;

	rep->changes = xreallocarray(rep->changes, rep->nchanges + 1,
	    sizeof(*rep->changes));
	c = &rep->changes[rep->nchanges++];
	c->name = xstrdup(name);
	c->arch = xstrdup(arch);
	c->old_version = xstrdup(oldv);
	c->new_version = xstrdup(newv);
}

void
upstream_report_done(struct upstream_report *rep)
{
	size_t	i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nchanges; i++) {
		free(rep->changes[i].name);
		free(rep->changes[i].arch);
		free(rep->changes[i].old_version);
		free(rep->changes[i].new_version);
	}
	free(rep->changes);
	memset(rep, 0, sizeof(*rep));
}

static int
name_arch_cmp(const char *n1, const char *a1, const char *n2,
    const char *a2)
{
	int	c;

	if ((c = strcmp(n1, n2)) != 0)
		return c;
	return strcmp(a1, a2);
}

/*
 * Compare the selection with the pool: fill rep->changes and mark in
 * want[] the packages to download (new or newer than the pool's).
 */
static void
changes_compute(struct upkg_list *sel, struct have *h, size_t nh,
    int *want, struct upstream_report *rep)
{
	struct have	 key, *found;
	size_t		 i, j;
	int		 c;

	for (i = 0; i < sel->n; i++) {
		key.name = sel->v[i].name;
		key.arch = sel->v[i].arch;
		found = nh > 0 ? bsearch(&key, h, nh, sizeof(*h),
		    have_cmp) : NULL;
		if (found == NULL) {
			want[i] = 1;
			report_add(rep, key.name, key.arch, NULL,
			    sel->v[i].version);
			continue;
		}
		c = version_compare(sel->v[i].version, found->version);
		if (c > 0) {
			want[i] = 1;
			report_add(rep, key.name, key.arch, found->version,
			    sel->v[i].version);
		}
	}
	/* Gone upstream (or no longer selected): report only.  Both
	 * lists are sorted by name, arch. */
	for (j = 0, i = 0; j < nh; j++) {
		c = -1;
		while (i < sel->n && (c = name_arch_cmp(sel->v[i].name,
		    sel->v[i].arch, h[j].name, h[j].arch)) < 0)
			i++;
		if (i < sel->n && c == 0)
			continue;
		report_add(rep, h[j].name, h[j].arch, h[j].version, NULL);
	}
}


#ifndef DL_PARALLEL
#define DL_PARALLEL	4		/* downloads in flight, as aptly */
#endif

/*
 * Download files into dir, DL_PARALLEL at a time, each bounded by its
 * declared size and verified against its SHA256 (a present, matching
 * file is reused).  On failure no partial file is left.
 */
int
upstream_files_download(struct up *u, const char *dir, struct dl *v, size_t n,
    struct dp_error *err)
{
	struct fetch_req	*reqs = NULL;
	struct fetch_result	*res = NULL;
	struct hash_sums	 sums;
	struct stat		 sb;
	size_t			*which = NULL, nreq = 0, i, k;
	char			 hex[65];
	int			 rv = -1;

	reqs = xcalloc(n + 1, sizeof(*reqs));
	res = xcalloc(n + 1, sizeof(*res));
	which = xcalloc(n + 1, sizeof(*which));
	for (i = 0; i < n; i++) {
		if (!fs_name_is_safe(v[i].name)) {
			dp_error_set(err, DP_ERR_INVALID, "%s: unsafe file "
			    "name '%.200s'", v[i].label, v[i].name);
			goto out;
		}
		v[i].path = fs_join(dir, v[i].name);
		if (lstat(v[i].path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (uint64_t)sb.st_size == v[i].size &&
		    hash_file(v[i].path, &sums, NULL) == 0 &&
		    strcmp(sums.sha256, v[i].sha256) == 0)
			continue;
		k = nreq++;
		which[k] = i;
		fetch_result_init(&res[k]);
		reqs[k].url = xasprintf("%s/%s", u->base, v[i].relurl);
		reqs[k].path = xasprintf("%s.part", v[i].path);
		reqs[k].max_size = v[i].size;
	}
	if (fetch_get_many(u->fetch, reqs, nreq, DL_PARALLEL, res, err) == -1)
		goto out;
	for (k = 0; k < nreq; k++) {
		i = which[k];
		fetch_hex(res[k].sha256, hex);
		if (res[k].size != v[i].size) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s: got %" PRIu64
			    " bytes, the index declares %" PRIu64 " (truncated "
			    "or tampered download); refused", v[i].label,
			    reqs[k].url, res[k].size, v[i].size);
			goto out;
		}
		if (strcmp(hex, v[i].sha256) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s: SHA256 %s "
			    "does not match the index (%s); refused",
			    v[i].label, reqs[k].url, hex, v[i].sha256);
			goto out;
		}
	}
	for (k = 0; k < nreq; k++)
		if (rename(reqs[k].path, v[which[k]].path) == -1) {
			dp_error_errno(err, "rename %s", reqs[k].path);
			goto out;
		}
	rv = 0;
out:
	for (k = 0; k < nreq; k++) {
		if (rv == -1)
			unlink(reqs[k].path);
		free((char *)reqs[k].url);
		free((char *)reqs[k].path);
		fetch_result_done(&res[k]);
	}
	free(reqs);
	free(res);
	free(which);
	return rv;
}

int
upstream_ctx_init(struct up *u, struct db *db, const struct config *cfg,
    const struct conf_watch *w, struct dp_error *err)
{
	size_t	len;

	memset(u, 0, sizeof(*u));
	u->db = db;
	u->cfg = cfg;
	u->w = w;
	if (w->url == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch %s has no "
		    "URL:", w->file, w->line, w->name);
		return -1;
	}
	u->base = xstrdup(w->url);
	len = strlen(u->base);
	while (len > 0 && u->base[len - 1] == '/')
		u->base[--len] = '\0';
	if ((u->fetch = fetch_new()) == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot initialise libcurl");
		return -1;
	}
	fetch_set_limit(u->fetch, cfg->fetch_timeout);
	u->cfgdigest = config_digest(w);
	return state_load(u, err);
}

void
upstream_ctx_done(struct up *u)
{
	fetch_free(u->fetch);
	free(u->base);
	json_decref(u->state);
	free(u->cfgdigest);
	free(u->etag);
	free(u->last_modified);
	release_done(&u->rel);
}

static const char *
upkg_basename(const struct upkg *p)
{
	const char	*base = strrchr(p->filename, '/');

	return base != NULL ? base + 1 : p->filename;
}

/* Remove from the incoming directory what an earlier, failed poll left
 * and this one does not want (so it cannot grow without bound). */
static void
incoming_prune(const char *dir, const struct upkg_list *sel, const int *want)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	size_t		 i;
	int		 keep;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		keep = 0;
		for (i = 0; i < sel->n && !keep; i++)
			keep = want[i] &&
			    strcmp(upkg_basename(&sel->v[i]), de->d_name) == 0;
		if (keep)
			continue;
		path = fs_join(dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
}

/* Is there room for need bytes more in dir (keeping 1% of the disk)? */
static int
disk_check(const char *dir, uint64_t need, struct dp_error *err)
{
	struct statvfs	sv;
	uint64_t	avail, reserve;

	if (statvfs(dir, &sv) == -1)
		return 0;	/* cannot tell: let the writes fail */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	reserve = (uint64_t)sv.f_blocks * sv.f_frsize / 100;
	if (need + reserve > avail) {
		char what[512];

		snprintf(what, sizeof(what), "downloading %" PRIu64 " bytes "
		    "into %s (%" PRIu64 " free)", need, dir, avail);
		dp_error_nospace(err, dir, what);
		return -1;
	}
	return 0;
}

int
upstream_apt_sync(struct db *db, const struct config *cfg,
    const struct conf_watch *w, int dry_run, struct upstream_report *rep,
    struct dp_error *err)
{
	struct up		 u;
	struct upkg_list	 sel;
	struct pkgs_arg		 pa;
	struct buf		 idx;
	struct have		*have = NULL;
	struct pool_added	*added = NULL;
	struct pool_add_opts	 opts;
	char			**comps = NULL, **archs = NULL;
	char			**paths = NULL;
	char			**labels = NULL;
	struct dl		*dls = NULL;
	char			*incoming = NULL, *path = NULL;
	char			*what = NULL;
	char			*origin = NULL, *tmp;
	const char		*prev;
	size_t			 nhave = 0, nadded = 0, npaths = 0, i, j;
	size_t			 nindexes = 0;
	uint64_t		 need = 0;
	char			*lockpath = NULL;
	int			*want = NULL, conditional, rv = -1;
	int			 lockfd = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&sel, 0, sizeof(sel));
	buf_init(&idx);
	if (upstream_ctx_init(&u, db, cfg, w, err) == -1)
		goto out;
	tmp = fs_join(cfg->state_dir, "incoming");
	incoming = fs_join(tmp, w->name);
	lockpath = xasprintf("%s.lock", incoming);
	if (!dry_run) {
		/* One import per watch at a time (daemon and CLI). */
		if (fs_mkdirs(tmp, 0755, err) == -1 ||
		    (lockfd = fs_lock(lockpath, 0, err)) == -1) {
			free(tmp);
			if (err != NULL && err->code == DP_ERR_BUSY)
				dp_error_set(err, DP_ERR_BUSY, "another import "
				    "of this watch is running; try again "
				    "later");
			goto fail;
		}
	}
	free(tmp);

	/* The shortcut is valid only if the last import completed with
	 * the same settings. */
	prev = upstream_state_get(&u, "config");
	conditional = prev != NULL && strcmp(prev, u.cfgdigest) == 0;
	if (upstream_release_fetch(&u, conditional, err) == -1)
		goto out;
	if (u.unchanged || (conditional &&
	    (prev = upstream_state_get(&u, "release_sha256")) != NULL &&
	    strcmp(prev, u.digest) == 0)) {
		rep->unchanged = 1;
		if (!dry_run && !u.unchanged) {
			/* Same Release, new validators: keep them. */
			upstream_state_set_release(&u);
			if (upstream_state_save(&u, err) == -1)
				goto out;
		}
		rv = 0;
		goto out;
	}

	comps = w->components != NULL && w->components[0] != NULL ?
	    NULL : u.rel.components;
	archs = w->archs != NULL && w->archs[0] != NULL ? NULL : u.rel.archs;
	pa.u = &u;
	pa.archs = archs != NULL ? archs : w->archs;
	pa.list = &sel;
	for (i = 0; (comps != NULL ? comps : w->components)[i] != NULL; i++) {
		const char *comp = (comps != NULL ? comps : w->components)[i];

		for (j = 0; pa.archs[j] != NULL; j++) {
			free(path);
			path = xasprintf("%s/binary-%s/Packages", comp,
			    pa.archs[j]);
			if (!fs_relpath_is_safe(path)) {
				dp_error_set(err, DP_ERR_INVALID, "unusable "
				    "component/architecture '%s'", path);
				goto fail;
			}
			if (upstream_index_fetch(&u, path, &idx, err) == -1) {
				/* "all" often has no index of its own, and
				 * the default architectures (the local
				 * distribution's) need not all exist
				 * upstream. */
				if (err != NULL && err->code ==
				    DP_ERR_NOTFOUND &&
				    (strcmp(pa.archs[j], "all") == 0 ||
				    (u.rel.archs[0] != NULL &&
				    !strv_has(u.rel.archs, pa.archs[j]))))
					continue;
				goto fail;
			}
			nindexes++;
			free(what);
			what = xasprintf("%s/dists/%s/%s", u.base, w->suite,
			    path);
			pa.what = what;
			if (deb822_parse(idx.data, idx.len, what, 0,
			    packages_para_cb, &pa, err) == -1)
				goto fail;
		}
	}
	buf_done(&idx);
	if (nindexes == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "%s/dists/%s/: no Packages "
		    "index for the configured components and architectures",
		    u.base, w->suite);
		goto fail;
	}
	upkg_newest(&sel);

	if (have_load(&u, &have, &nhave, err) == -1)
		goto fail;
	want = xcalloc(sel.n + 1, sizeof(*want));
	changes_compute(&sel, have, nhave, want, rep);
	if (dry_run) {
		rv = 0;
		goto out;
	}

	/* Download what is new, into State-Dir/incoming/<watch>/. */
	if (fs_mkdirs(incoming, 0755, err) == -1)
		goto fail;
	incoming_prune(incoming, &sel, want);
	for (i = 0; i < sel.n; i++)
		if (want[i])
			need += sel.v[i].size;
	if (need > 0 && disk_check(incoming, need, err) == -1)
		goto fail;
	dls = xcalloc(sel.n + 1, sizeof(*dls));
	labels = xcalloc(sel.n + 1, sizeof(*labels));
	for (i = 0; i < sel.n; i++) {
		if (!want[i])
			continue;
		labels[npaths] = xasprintf("%s %s", sel.v[i].name,
		    sel.v[i].version);
		dls[npaths].relurl = sel.v[i].filename;
		dls[npaths].name = upkg_basename(&sel.v[i]);
		dls[npaths].size = sel.v[i].size;
		dls[npaths].sha256 = sel.v[i].sha256;
		dls[npaths].label = labels[npaths];
		npaths++;
	}
	if (upstream_files_download(&u, incoming, dls, npaths, err) == -1)
		goto fail;
	paths = xcalloc(npaths + 1, sizeof(*paths));
	for (i = 0; i < npaths; i++) {
		paths[i] = dls[i].path;
		dls[i].path = NULL;
	}
	if (npaths > 0) {
		origin = xasprintf("apt:%s", w->name);
		memset(&opts, 0, sizeof(opts));
		opts.link = 1;	/* our own incoming download */
		opts.dist = w->dist;
		opts.component = w->component;
		opts.origin = origin;
		if (pool_add(db, cfg, paths, &opts, &added, &nadded,
		    err) == -1) {
			dp_error_prefix(err, "import");
			goto fail;
		}
		for (i = 0; i < nadded; i++)
			if (!added[i].existed)
				rep->imported++;
		for (i = 0; i < npaths; i++)
			unlink(paths[i]);
	}
	upstream_state_set_release(&u);
	if (upstream_state_save(&u, err) == -1)
		goto fail;
	rv = 0;
	goto out;
fail:
	dp_error_prefix(err, "watch %s", w->name);
out:
	if (lockfd != -1)
		close(lockfd);
	free(lockpath);
	if (rv == -1)
		upstream_report_done(rep);	/* no half reports */
	if (u.fetch != NULL)
		rep->requests = fetch_requests(u.fetch);
	upstream_ctx_done(&u);
	upkg_list_done(&sel);
	buf_done(&idx);
	have_free(have, nhave);
	pool_added_free(added, nadded);
	strv_free(paths);
	strv_free(labels);
	for (i = 0; dls != NULL && i < npaths; i++)
		free(dls[i].path);
	free(dls);
	free(want);
	free(incoming);
	free(path);
	free(what);
	free(origin);
	return rv;
}
