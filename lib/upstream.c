/*
 * upstream.c - the client of upstream apt repositories: the Release
 * (InRelease, or Release + Release.gpg) fetched with libcurl and verified
 * with sign_verify, its indexes fetched in the best compression it lists
 * and checked against its SHA256 sums, files downloaded in parallel and
 * checked against their index entries, and the per-watch state kept in
 * watches.state for conditional requests.  See upstream.h.  The watches
 * that use it are the builder's (builder/watch-apt.c, Type: apt, and
 * builder/watch-apt-source.c, Type: apt-source); the checks' Build-Mirror
 * background is upstream-bg.c.
 *
 * Everything that comes from upstream is untrusted until the Release file
 * is verified against the watch's Signed-By keyring; after that every
 * index is checked against the Release SHA256 sums and every file
 * against its declared size and sum before it is renamed into place.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
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
#include "db-watches.h"
#include "deb822.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "hash.h"
#include "sign.h"
#include "upstream.h"
#include "xmalloc.h"

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

int
upstream_parse_u64(const char *s, uint64_t *out)
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
		if (upstream_parse_u64(w[1], &v[n].size) == -1) {
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
	char		*text = NULL;
	json_error_t	 jerr;

	if (db_watch_state_get(u->db, u->w->name, &text, err) == -1)
		return -1;
	if (text != NULL)
		u->state = json_loads(text, 0, &jerr);
	free(text);
	/* A state that is not a JSON object is forgotten, not fatal. */
	if (u->state == NULL || !json_is_object(u->state)) {
		json_decref(u->state);
		u->state = json_object();
	}
	return 0;
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
	char	*text;
	int	 rv;

	text = json_dumps(u->state, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot encode watch state");
		return -1;
	}
	rv = db_watch_state_set(u->db, u->w->name, text, err);
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
