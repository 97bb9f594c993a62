/*
 * objstore-swift.c - the OpenStack Swift side of objstore.h: tokens from
 * tempauth (GET .../auth/v1.0 with X-Auth-User/X-Auth-Key) or Keystone v3
 * (POST .../v3/auth/tokens, the object-store endpoint from the catalog),
 * PUT/DELETE with X-Auth-Token and the MD5 as ETag (Swift checks it),
 * JSON container listings parsed with jansson.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objstore-int.h"

static int
swift_tempauth(struct objstore *os, char **storage, char **token,
    struct dp_error *err)
{
	struct objstore_resp	 r;
	struct curl_slist	*hdrs = NULL;
	char			*line;
	int			 rv = -1;

	memset(&r, 0, sizeof(r));
	line = xasprintf("X-Auth-User: %s", os->user);
	hdrs = curl_slist_append(hdrs, line);
	explicit_bzero(line, strlen(line));
	free(line);
	line = xasprintf("X-Auth-Key: %s", os->key);
	hdrs = curl_slist_append(hdrs, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (objstore_simple(os, NULL, os->t->endpoint, hdrs, NULL, &r,
	    err) == -1)
		goto out;
	if (r.status == 401 || r.status == 403) {
		dp_error_set(err, DP_ERR_PERM, "authentication refused "
		    "by %s (HTTP %ld): check User: and Key: in %s",
		    os->t->endpoint, r.status,
		    os->t->credentials);
		goto out;
	}
	*storage = objstore_resp_header(&r, "X-Storage-Url");
	*token = objstore_resp_header(&r, "X-Auth-Token");
	if (r.status / 100 != 2 || *storage == NULL || *token == NULL) {
		dp_error_set(err, DP_ERR_NET, "%s answered HTTP %ld "
		    "without X-Storage-Url and X-Auth-Token (is it a tempauth "
		    "v1.0 URL?)", os->t->endpoint, r.status);
		free(*storage);
		free(*token);
		*storage = *token = NULL;
		goto out;
	}
	rv = 0;
out:
	curl_slist_free_all(hdrs);
	objstore_resp_done(&r);
	return rv;
}

int
objstore_swift_catalog(const char *body, size_t len, const char *region,
    char **storage)
{
	json_t		*reply, *cat, *svc, *ep;
	json_error_t	 jerr;
	size_t		 i, j;

	*storage = NULL;
	if ((reply = json_loadb(body, len, 0, &jerr)) == NULL ||
	    !json_is_array(cat = json_object_get(json_object_get(reply,
	    "token"), "catalog"))) {
		json_decref(reply);
		return -1;
	}
	json_array_foreach(cat, i, svc) {
		if (!json_is_string(json_object_get(svc, "type")) ||
		    strcmp(json_string_value(json_object_get(svc, "type")),
		    "object-store") != 0)
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
			const char *itf = json_string_value(json_object_get(ep,
			    "interface"));
			const char *reg = json_string_value(json_object_get(ep,
			    "region"));
			const char *u = json_string_value(json_object_get(ep,
			    "url"));

			if (itf == NULL || u == NULL ||
			    strcmp(itf, "public") != 0)
				continue;
			if (reg != NULL && strcmp(region, "us-east-1") != 0 &&
			    strcmp(reg, region) != 0)
				continue;
			*storage = xstrdup(u);
			break;
		}
		if (*storage != NULL)
			break;
	}
	json_decref(reply);
	return 0;
}

static int
swift_keystone(struct objstore *os, char **storage, char **token,
    struct dp_error *err)
{
	struct objstore_resp	 r;
	struct curl_slist	*hdrs = NULL;
	json_t			*req;
	const char		*domain = os->domain != NULL ? os->domain :
				    "Default";
	char			*body = NULL, *url;
	size_t			 n;
	int			 rv = -1;

	memset(&r, 0, sizeof(r));
	req = json_pack("{s:{s:{s:[s],s:{s:{s:s,s:{s:s},s:s}}},s:{s:{s:s,"
	    "s:{s:s}}}}}", "auth", "identity", "methods", "password",
	    "password", "user", "name", os->user, "domain", "name", domain,
	    "password", os->password, "scope", "project", "name",
	    os->project != NULL ? os->project : "", "domain", "name", domain);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	n = strlen(os->t->endpoint);
	while (n > 0 && os->t->endpoint[n - 1] == '/')
		n--;
	url = xasprintf("%.*s/auth/tokens", (int)n, os->t->endpoint);
	rv = objstore_simple(os, "POST", url, hdrs, body, &r, err);
	free(url);
	explicit_bzero(body, strlen(body));
	free(body);
	if (rv == -1)
		goto out;
	rv = -1;
	if (r.status == 401 || r.status == 403) {
		dp_error_set(err, DP_ERR_PERM, "Keystone refused the "
		    "credentials in %s (HTTP %ld)",
		    os->t->credentials, r.status);
		goto out;
	}
	if (r.status != 201 || (*token = objstore_resp_header(&r,
	    "X-Subject-Token")) == NULL) {
		dp_error_set(err, DP_ERR_NET, "Keystone answered HTTP %ld "
		    "without X-Subject-Token", r.status);
		goto out;
	}
	if (objstore_swift_catalog(r.body.data, r.body.len, os->t->region,
	    storage) == -1) {
		dp_error_set(err, DP_ERR_PARSE, "Keystone reply without a "
		    "service catalog");
		goto fail;
	}
	if (*storage == NULL) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no public object-store "
		    "endpoint%s%s in the Keystone catalog",
		    strcmp(os->t->region, "us-east-1") != 0 ?
		    " for region " : "", strcmp(os->t->region, "us-east-1") !=
		    0 ? os->t->region : "");
		goto fail;
	}
	rv = 0;
	goto out;
fail:
	free(*token);
	*token = NULL;
out:
	curl_slist_free_all(hdrs);
	objstore_resp_done(&r);
	return rv;
}

int
objstore_swift_auth(struct objstore *os, struct dp_error *err)
{
	char	*storage = NULL, *token = NULL, *esc;
	size_t	 n;
	int	 rv;

	rv = os->password != NULL && os->key == NULL ?
	    swift_keystone(os, &storage, &token, err) :
	    swift_tempauth(os, &storage, &token, err);
	if (rv == -1)
		return -1;
	if (os->token != NULL) {
		explicit_bzero(os->token, strlen(os->token));
		free(os->token);
	}
	os->token = token;
	n = strlen(storage);
	while (n > 0 && storage[n - 1] == '/')
		n--;
	free(os->base);
	os->base = xasprintf("%.*s/%s/", (int)n, storage, os->t->bucket);
	free(storage);
	free(os->public);
	esc = objstore_key_escape(os->t->prefix);
	os->public = xasprintf("%s%s%s", os->base, esc,
	    os->t->prefix[0] != '\0' ? "/" : "");
	free(esc);
	return 0;
}

int
objstore_swift_init(struct objstore *os, struct dp_error *err)
{
	return objstore_swift_auth(os, err);
}

struct curl_slist *
objstore_swift_prepare(struct objstore *os, CURL *h,
    const struct objstore_job *job)
{
	struct curl_slist	*hdrs = NULL;
	char			*key, *url, *line;

	key = objstore_full_key(os, job->key);
	url = xasprintf("%s%s", os->base, key);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	free(key);
	line = xasprintf("X-Auth-Token: %s", os->token);
	hdrs = curl_slist_append(hdrs, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (job->op == OBJ_PUT) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/octet-stream");
		if (job->md5[0] != '\0') {
			line = xasprintf("ETag: %s", job->md5);
			hdrs = curl_slist_append(hdrs, line);
			free(line);
		}
		if (job->cache_control != NULL) {
			line = xasprintf("Cache-Control: %s",
			    job->cache_control);
			hdrs = curl_slist_append(hdrs, line);
			free(line);
		}
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	return hdrs;
}

int
objstore_swift_parse_list(const char *body, size_t len, objstore_list_cb cb,
    void *arg, char **next, struct dp_error *err)
{
	json_t			*j, *o;
	json_error_t		 jerr;
	struct objstore_entry	 e;
	const char		*name = NULL, *etag;
	size_t			 i;
	int			 rv = -1;

	*next = NULL;
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || !json_is_array(j)) {
		dp_error_set(err, DP_ERR_PARSE, "Swift listing: not a JSON "
		    "array%s%s", j == NULL ? ": " : "", j == NULL ?
		    jerr.text : "");
		goto out;
	}
	json_array_foreach(j, i, o) {
		json_t *sz = json_object_get(o, "bytes");

		name = json_string_value(json_object_get(o, "name"));
		if (name == NULL || *name == '\0' || !json_is_integer(sz) ||
		    json_integer_value(sz) < 0) {
			dp_error_set(err, DP_ERR_PARSE, "Swift listing: entry "
			    "%zu has no name or bytes", i);
			goto out;
		}
		memset(&e, 0, sizeof(e));
		e.key = (char *)name;
		e.size = (uint64_t)json_integer_value(sz);
		if ((etag = json_string_value(json_object_get(o, "hash"))) !=
		    NULL)
			snprintf(e.etag, sizeof(e.etag), "%s", etag);
		if (cb(&e, arg) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "listing stopped");
			goto out;
		}
	}
	if (json_array_size(j) > 0 && name != NULL)
		*next = xstrdup(name);
	rv = 0;
out:
	json_decref(j);
	return rv;
}

struct pstrip {
	const char	*prefix;
	objstore_list_cb cb;
	void		*arg;
	size_t		 n;
};

static int
pstrip_cb(const struct objstore_entry *e, void *arg)
{
	struct pstrip		*st = arg;
	struct objstore_entry	 c = *e;
	size_t			 n = strlen(st->prefix);

	st->n++;
	if (strncmp(e->key, st->prefix, n) != 0)
		return 0;
	c.key = e->key + n;
	return st->cb(&c, st->arg);
}

int
objstore_swift_list(struct objstore *os, objstore_list_cb cb, void *arg,
    struct dp_error *err)
{
	struct objstore_resp	 r;
	struct curl_slist	*hdrs = NULL;
	struct pstrip		 st;
	char			*prefix, *pesc, *next = NULL, *mesc, *url,
				*line, *d;
	CURL			*h;
	int			 rv = -1;

	prefix = os->t->prefix[0] != '\0' ? xasprintf("%s/", os->t->prefix) :
	    xstrdup("");
	h = curl_easy_init();
	pesc = curl_easy_escape(h, prefix, 0);
	memset(&r, 0, sizeof(r));
	for (;;) {
		line = xasprintf("X-Auth-Token: %s", os->token);
		curl_slist_free_all(hdrs);
		hdrs = curl_slist_append(NULL, line);
		free(line);
		if (next != NULL) {
			mesc = curl_easy_escape(h, next, 0);
			url = xasprintf("%.*s?format=json&limit=10000&"
			    "marker=%s&prefix=%s", (int)strlen(os->base) - 1,
			    os->base, mesc, pesc);
			curl_free(mesc);
		} else
			url = xasprintf("%.*s?format=json&limit=10000&"
			    "prefix=%s", (int)strlen(os->base) - 1, os->base,
			    pesc);
		free(next);
		next = NULL;
		rv = objstore_simple(os, NULL, url, hdrs, NULL, &r, err);
		free(url);
		if (rv == -1)
			goto out;
		rv = -1;
		if (r.status == 204)
			break;
		if (r.status != 200) {
			d = objstore_describe(os, r.status, NULL, 0);
			dp_error_set(err, r.status == 401 || r.status == 403 ?
			    DP_ERR_PERM : DP_ERR_NET, "listing: %s%s", d, r.status == 404 ?
			    " (does the container exist?)" : "");
			free(d);
			goto out;
		}
		st = (struct pstrip){ prefix, cb, arg, 0 };
		if (objstore_swift_parse_list(r.body.data, r.body.len,
		    pstrip_cb, &st, &next, err) == -1)
			goto out;
		if (next == NULL)
			break;
	}
	rv = 0;
out:
	free(next);
	objstore_resp_done(&r);
	curl_free(pesc);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(prefix);
	return rv;
}

static const char *
swift_creds_missing(const struct objstore *os)
{
	if (os->user == NULL)
		return "User:";
	if (os->key == NULL && os->password == NULL)
		return "Key: (tempauth) or Password: (Keystone v3)";
	return NULL;
}

const struct objstore_proto objstore_swift_proto = {
	.name = "Swift",
	.container = "container",
	.creds_need = "User: and Key:, or User:, Password:, Project: and "
	    "Domain:",
	.creds_check = "User: and Key:",
	.creds_missing = swift_creds_missing,
	.init = objstore_swift_init,
	.prepare = objstore_swift_prepare,
	.sign = NULL,
	.reauth = objstore_swift_auth,
	.list = objstore_swift_list,
	.parse_error = NULL,
};
