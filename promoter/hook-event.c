/*
 * hook-event.c - the pure parts of the forge push hooks (hooks.c does the
 * HTTP and the database): the Hooks-File, signatures, push-event payloads
 * and clone-URL normalisation.  Everything here parses outside data and
 * has a libFuzzer target (tests/fuzz/fuzz-hooks.c).
 *
 * Hooks-File: deb822 stanzas "Forge: github|gitlab|gitea" and "Secret:
 * ...", '#' comments, mode 0600 (refused when group or others may read
 * it); a forge may have several stanzas (several secrets: any matches).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "deb822.h"
#include "promoter.h"
#include "xmalloc.h"

#define HOOKS_FILE_MAX		(64 * 1024)
#define HOOK_URLS_MAX		16
#define HOOK_URL_MAX		2048
#define HOOK_BRANCH_MAX		255

void
hooks_free(struct hooks *h)
{
	size_t	i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		free(h->v[i].forge);
		if (h->v[i].secret != NULL) {
			OPENSSL_cleanse(h->v[i].secret,
			    strlen(h->v[i].secret));
			free(h->v[i].secret);
		}
	}
	free(h->v);
	free(h->path);
	free(h);
}

static int
hooks_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	struct hooks	*h = arg;
	const char	*forge = NULL, *secret = NULL;
	size_t		 i;

	for (i = 0; i < para->nfields; i++) {
		const struct deb822_field *f = &para->fields[i];

		if (strcasecmp(f->name, "Forge") == 0)
			forge = f->value;
		else if (strcasecmp(f->name, "Secret") == 0)
			secret = f->value;
		else {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: unknown field "
			    "%s (a stanza has Forge: and Secret:)", h->path,
			    f->line, f->name);
			return -1;
		}
	}
	if (forge == NULL || (strcmp(forge, "github") != 0 &&
	    strcmp(forge, "gitlab") != 0 && strcmp(forge, "gitea") != 0)) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: Forge: must be "
		    "github, gitlab or gitea", h->path, para->line);
		return -1;
	}
	if (secret == NULL || *secret == '\0' || strchr(secret, '\n') !=
	    NULL) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: Secret: is missing, "
		    "empty or on several lines", h->path, para->line);
		return -1;
	}
	h->v = xreallocarray(h->v, h->n + 1, sizeof(*h->v));
	h->v[h->n].forge = xstrdup(forge);
	h->v[h->n].secret = xstrdup(secret);
	h->n++;
	return 0;
}

int
hooks_parse(const char *path, const char *text, size_t len,
    struct hooks **out, struct dp_error *err)
{
	struct hooks	*h;

	*out = NULL;
	h = xcalloc(1, sizeof(*h));
	h->path = xstrdup(path);
	if (deb822_parse(text, len, path, DEB822_COMMENTS, hooks_para_cb, h,
	    err) == -1) {
		hooks_free(h);
		return -1;
	}
	*out = h;
	return 0;
}

int
hooks_load(const char *path, struct hooks **out, struct dp_error *err)
{
	struct stat	 sb;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rv = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "Hooks-File %s", path);
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		dp_error_errno(err, "Hooks-File %s", path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		dp_error_set(err, DP_ERR_INVALID, "Hooks-File %s: mode %03o "
		    "lets others read or write the secrets; chmod 600 it",
		    path, (unsigned)(sb.st_mode & 0777));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > HOOKS_FILE_MAX) {
		dp_error_set(err, DP_ERR_INVALID, "Hooks-File %s: not a "
		    "regular file of at most %d bytes", path, HOOKS_FILE_MAX);
		goto out;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		n = read(fd, text + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	rv = hooks_parse(path, text, got, out, err);
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, got);
		free(text);
	}
	close(fd);
	return rv;
}

static int
hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hooks_sig_ok(const char *secret, const char *body, size_t len,
    const char *sig)
{
	unsigned char	 want[32], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 i, hi, lo;

	if (secret == NULL || sig == NULL)
		return 0;
	if (strncasecmp(sig, "sha256=", 7) == 0)
		sig += 7;
	if (strlen(sig) != 64)
		return 0;
	for (i = 0; i < 32; i++) {
		if ((hi = hex_val((unsigned char)sig[2 * i])) == -1 ||
		    (lo = hex_val((unsigned char)sig[2 * i + 1])) == -1)
			return 0;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)(body != NULL ? body : ""), len, md,
	    &mdlen) == NULL || mdlen != 32)
		return 0;
	return CRYPTO_memcmp(md, want, 32) == 0;
}

int
hooks_token_ok(const char *secret, const char *token)
{
	unsigned char	a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned int	la = 0, lb = 0;

	if (secret == NULL || token == NULL)
		return 0;
	/* Equal-length digests: the comparison time says nothing. */
	if (EVP_Digest(secret, strlen(secret), a, &la, EVP_sha256(),
	    NULL) != 1 || EVP_Digest(token, strlen(token), b, &lb,
	    EVP_sha256(), NULL) != 1)
		return 0;
	return CRYPTO_memcmp(a, b, 32) == 0;
}

/* Strip trailing '/' and one ".git" (then '/' again) from s in place. */
static void
url_trim(char *s)
{
	size_t	len = strlen(s);

	while (len > 0 && s[len - 1] == '/')
		s[--len] = '\0';
	if (len >= 4 && strcasecmp(s + len - 4, ".git") == 0)
		s[len -= 4] = '\0';
	while (len > 0 && s[len - 1] == '/')
		s[--len] = '\0';
}

char *
hooks_url_norm(const char *url)
{
	const char	*p, *host, *hend, *path, *at, *colon, *slash;
	char		*out, *q;
	size_t		 hlen;

	if (url == NULL || *url == '\0' || strlen(url) > HOOK_URL_MAX)
		return NULL;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return NULL;
	if (strncasecmp(url, "file://", 7) == 0 || url[0] == '/') {
		path = url[0] == '/' ? url : url + 7;
		if (path[0] != '/')
			return NULL;
		while (path[0] == '/' && path[1] == '/')
			path++;
		out = xasprintf("file:%s", path);
		url_trim(out);
		return out;
	}
	if ((p = strstr(url, "://")) != NULL) {
		/* scheme://[user@]host[:port]/path */
		for (q = (char *)url; q < p; q++)
			if (!isalnum((unsigned char)*q) && *q != '+' &&
			    *q != '-' && *q != '.')
				return NULL;
		host = p + 3;
		slash = strchr(host, '/');
		at = memchr(host, '@', slash != NULL ? (size_t)(slash - host) :
		    strlen(host));
		if (at != NULL)
			host = at + 1;
		path = slash != NULL ? slash : host + strlen(host);
		hend = path;
		if (*host == '[') {		/* [v6]:port */
			if ((colon = memchr(host, ']', (size_t)(hend -
			    host))) == NULL)
				return NULL;
			hend = colon + 1;
		} else if ((colon = memchr(host, ':', (size_t)(hend -
		    host))) != NULL)
			hend = colon;
	} else {
		/* scp form: [user@]host:path, the ':' before any '/'. */
		colon = strchr(url, ':');
		slash = strchr(url, '/');
		if (colon == NULL || (slash != NULL && slash < colon))
			return NULL;
		at = memchr(url, '@', (size_t)(colon - url));
		host = at != NULL ? at + 1 : url;
		hend = colon;
		path = colon + 1;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0)
		return NULL;
	while (*path == '/')
		path++;
	out = xasprintf("%.*s/%s", (int)hlen, host, path);
	for (q = out; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	url_trim(out);
	if (out[hlen] != '/' || out[hlen + 1] == '\0') {
		free(out);
		return NULL;	/* no path */
	}
	return out;
}

void
hooks_push_done(struct hook_push *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nurls; i++)
		free(ev->urls[i]);
	free(ev->urls);
	free(ev->branch);
	memset(ev, 0, sizeof(*ev));
}

static void
push_url(struct hook_push *ev, json_t *v)
{
	char	*n;
	size_t	 i;

	if (!json_is_string(v) || ev->nurls == HOOK_URLS_MAX)
		return;
	if ((n = hooks_url_norm(json_string_value(v))) == NULL)
		return;
	for (i = 0; i < ev->nurls; i++)
		if (strcmp(ev->urls[i], n) == 0) {
			free(n);
			return;
		}
	ev->urls = xreallocarray(ev->urls, ev->nurls + 1, sizeof(char *));
	ev->urls[ev->nurls++] = n;
}

/* The URL fields GitHub, Gitea and GitLab put in "repository" and
 * "project" of a push event. */
static const char *const url_keys[] = {
	"clone_url", "git_url", "ssh_url", "html_url", "url", "git_http_url",
	"git_ssh_url", "http_url", "web_url", "homepage", NULL
};

int
hooks_push_parse(const char *body, size_t len, struct hook_push *ev,
    char *why, size_t whylen)
{
	json_error_t	 je;
	json_t		*j = NULL, *v, *o;
	const char	*ref;
	const char	*objs[] = { "repository", "project", NULL };
	size_t		 i, k;
	int		 rv = -1;

	memset(ev, 0, sizeof(*ev));
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(why, whylen, "malformed JSON at line %d column %d: "
		    "%s", je.line, je.column, je.text);
		goto out;
	}
	if (!json_is_object(j)) {
		snprintf(why, whylen, "the payload must be a JSON object");
		goto out;
	}
	/* "ref": "refs/heads/BRANCH" (the forges) or "branch" (generic). */
	if ((v = json_object_get(j, "ref")) != NULL && json_is_string(v)) {
		ref = json_string_value(v);
		if (strncmp(ref, "refs/heads/", 11) == 0) {
			ev->branch = xstrdup(ref + 11);
			ev->is_branch = 1;
		} else
			ev->branch = xstrdup(ref);
	} else if ((v = json_object_get(j, "branch")) != NULL &&
	    json_is_string(v)) {
		ev->branch = xstrdup(json_string_value(v));
		ev->is_branch = 1;
	} else {
		snprintf(why, whylen, "no \"ref\" (or \"branch\") string in "
		    "the payload: not a push event");
		goto out;
	}
	if (*ev->branch == '\0' || strlen(ev->branch) > HOOK_BRANCH_MAX ||
	    strlen(ev->branch) != strcspn(ev->branch, "\n\r")) {
		snprintf(why, whylen, "bad ref in the payload");
		goto out;
	}
	for (i = 0; objs[i] != NULL; i++) {
		o = json_object_get(j, objs[i]);
		if (json_is_string(o))
			push_url(ev, o);
		else if (json_is_object(o))
			for (k = 0; url_keys[k] != NULL; k++)
				push_url(ev, json_object_get(o, url_keys[k]));
	}
	push_url(ev, json_object_get(j, "url"));
	if (ev->nurls == 0) {
		snprintf(why, whylen, "no usable repository URL in the "
		    "payload");
		goto out;
	}
	rv = 0;
out:
	if (rv == -1)
		hooks_push_done(ev);
	json_decref(j);
	return rv;
}

int
hooks_push_matches(const struct hook_push *ev, const char *url,
    const char *branch)
{
	char	*n;
	size_t	 i;
	int	 hit = 0;

	if (!ev->is_branch || branch == NULL ||
	    strcmp(ev->branch, branch) != 0)
		return 0;
	if ((n = hooks_url_norm(url)) == NULL)
		return 0;
	for (i = 0; i < ev->nurls && !hit; i++)
		hit = strcmp(ev->urls[i], n) == 0;
	free(n);
	return hit;
}
