/*
 * objstore-s3.c - the S3 side of objstore.h: URLs (path-style or
 * virtual-hosted), AWS Signature V4 through libcurl's CURLOPT_AWS_SIGV4,
 * ListObjectsV2 and error replies parsed with libxml2.
 *
 * libcurl 7.88 quirks (notes/object-storage.md): it does not send
 * x-amz-content-sha256 (we do: the body's SHA-256, known beforehand); an
 * access key with a colon must go through CURLOPT_USERNAME; query
 * parameters must be sorted and percent-encoded by the caller.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "objstore-int.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int
objstore_s3_init(struct objstore *os, struct dp_error *err)
{
	const struct conf_target *t = os->t;
	const char	*ep = t->endpoint, *host;
	char		*scheme, *esc;
	size_t		 n;

	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	if ((host = strstr(ep, "://")) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-Endpoint: "
		    "'%s' is not a URL", t->file, t->line, ep);
		return -1;
	}
	host += 3;
	if (t->virtual_host) {
		scheme = xstrndup(ep, (size_t)(host - ep));
		os->base = xasprintf("%s%s.%.*s/", scheme, t->bucket,
		    (int)(n - (size_t)(host - ep)), host);
		free(scheme);
	} else
		os->base = xasprintf("%.*s/%s/", (int)n, ep, t->bucket);
	esc = objstore_key_escape(t->prefix);
	os->public = xasprintf("%s%s%s", os->base, esc,
	    t->prefix[0] != '\0' ? "/" : "");
	free(esc);
	os->sigv4 = xasprintf("aws:amz:%s:s3", t->region);
	return 0;
}

void
objstore_s3_sign(struct objstore *os, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, os->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, os->access);
	curl_easy_setopt(h, CURLOPT_PASSWORD, os->secret);
}

struct curl_slist *
objstore_s3_prepare(struct objstore *os, CURL *h,
    const struct objstore_job *job)
{
	struct curl_slist	*hdrs = NULL;
	char			*key, *url, *line;

	key = objstore_full_key(os, job->key);
	url = xasprintf("%s%s", os->base, key);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	free(key);
	objstore_s3_sign(os, h);
	line = xasprintf("x-amz-content-sha256: %s", job->op == OBJ_PUT ?
	    job->sha256 : EMPTY_SHA256);
	hdrs = curl_slist_append(hdrs, line);
	free(line);
	if (job->op == OBJ_PUT) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/octet-stream");
		if (job->cache_control != NULL) {
			line = xasprintf("Cache-Control: %s",
			    job->cache_control);
			hdrs = curl_slist_append(hdrs, line);
			free(line);
		}
	}
	/* No "Expect:" to switch 100-continue off: curl 7.88 signs the
	 * empty header and s3api rejects the signature.  Wait briefly
	 * instead (curl sends Expect only for bodies past 1 MiB). */
	curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 100L);
	return hdrs;
}

/* ------------------------------------------------------------------ */
/* Replies. */

static xmlDocPtr
xml_read(const char *body, size_t len)
{
	if (len > 64 * 1024 * 1024 || len == 0)
		return NULL;
	return xmlReadMemory(body, (int)len, "reply.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static const xmlChar *
xml_text(xmlNodePtr n)
{
	if (n != NULL && n->children != NULL &&
	    n->children->type == XML_TEXT_NODE)
		return n->children->content;
	return (const xmlChar *)"";
}

static xmlNodePtr
xml_child(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(n->name, (const xmlChar *)name) == 0)
			return n;
	return NULL;
}

char *
objstore_s3_parse_error(const char *body, size_t len)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, code, msg;
	char		*out = NULL;

	if ((doc = xml_read(body, len)) == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (root != NULL && xmlStrcmp(root->name,
	    (const xmlChar *)"Error") == 0) {
		code = xml_child(root, "Code");
		msg = xml_child(root, "Message");
		if (code != NULL)
			out = xasprintf("%.100s: %.300s", xml_text(code),
			    xml_text(msg));
	}
	xmlFreeDoc(doc);
	return out;
}

int
objstore_s3_parse_list(const char *body, size_t len, objstore_list_cb cb,
    void *arg, char **next, struct dp_error *err)
{
	xmlDocPtr		 doc;
	xmlNodePtr		 root, n, k;
	struct objstore_entry	 e;
	const char		*s;
	char			*end;
	int			 rv = -1, trunc = 0;

	*next = NULL;
	if ((doc = xml_read(body, len)) == NULL) {
		dp_error_set(err, DP_ERR_PARSE, "S3 listing: not XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || xmlStrcmp(root->name,
	    (const xmlChar *)"ListBucketResult") != 0) {
		dp_error_set(err, DP_ERR_PARSE, "S3 listing: no "
		    "ListBucketResult");
		goto out;
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(n->name, (const xmlChar *)"IsTruncated") == 0)
			trunc = xmlStrcmp(xml_text(n),
			    (const xmlChar *)"true") == 0;
		else if (xmlStrcmp(n->name,
		    (const xmlChar *)"NextContinuationToken") == 0) {
			free(*next);
			*next = xstrdup((const char *)xml_text(n));
		} else if (xmlStrcmp(n->name,
		    (const xmlChar *)"Contents") == 0) {
			memset(&e, 0, sizeof(e));
			if ((k = xml_child(n, "Key")) == NULL ||
			    *(s = (const char *)xml_text(k)) == '\0') {
				dp_error_set(err, DP_ERR_PARSE, "S3 listing: "
				    "an entry without a Key");
				goto out;
			}
			e.key = (char *)s;
			s = (const char *)xml_text(xml_child(n, "Size"));
			e.size = strtoull(s, &end, 10);
			if (*s == '\0' || *end != '\0') {
				dp_error_set(err, DP_ERR_PARSE, "S3 listing: "
				    "bad Size for %.200s", e.key);
				goto out;
			}
			snprintf(e.etag, sizeof(e.etag), "%s",
			    (const char *)xml_text(xml_child(n, "ETag")));
			if (cb(&e, arg) != 0) {
				dp_error_set(err, DP_ERR_INVALID, "listing "
				    "stopped");
				goto out;
			}
		}
	}
	if (!trunc) {
		free(*next);
		*next = NULL;
	} else if (*next == NULL || **next == '\0') {
		dp_error_set(err, DP_ERR_PARSE, "S3 listing: truncated without "
		    "a NextContinuationToken");
		goto out;
	}
	rv = 0;
out:
	if (rv == -1) {
		free(*next);
		*next = NULL;
	}
	xmlFreeDoc(doc);
	return rv;
}

/* Strip the prefix from each key before handing it on. */
struct strip {
	const char	*prefix;	/* "p/" or "" */
	objstore_list_cb cb;
	void		*arg;
};

static int
strip_cb(const struct objstore_entry *e, void *arg)
{
	struct strip		*st = arg;
	struct objstore_entry	 c = *e;
	size_t			 n = strlen(st->prefix);

	if (strncmp(e->key, st->prefix, n) != 0)
		return 0;
	c.key = e->key + n;
	return st->cb(&c, st->arg);
}

int
objstore_s3_list(struct objstore *os, objstore_list_cb cb, void *arg,
    struct dp_error *err)
{
	struct objstore_resp	 r;
	struct curl_slist	*hdrs = NULL;
	struct strip		 st;
	char			*prefix, *pesc = NULL, *next = NULL, *tesc,
				*url, *d;
	CURL			*h;
	int			 rv = -1;

	prefix = os->t->prefix[0] != '\0' ? xasprintf("%s/", os->t->prefix) :
	    xstrdup("");
	st = (struct strip){ prefix, cb, arg };
	h = curl_easy_init();
	pesc = curl_easy_escape(h, prefix, 0);
	hdrs = curl_slist_append(hdrs, "x-amz-content-sha256: "
	    EMPTY_SHA256);
	memset(&r, 0, sizeof(r));
	do {
		/* Parameters sorted by name, values percent-encoded. */
		if (next != NULL) {
			tesc = curl_easy_escape(h, next, 0);
			url = xasprintf("%s?continuation-token=%s&list-type=2&"
			    "prefix=%s", os->base, tesc, pesc);
			curl_free(tesc);
		} else
			url = xasprintf("%s?list-type=2&prefix=%s", os->base,
			    pesc);
		free(next);
		next = NULL;
		if (objstore_simple(os, NULL, url, hdrs, NULL, &r,
		    err) == -1) {
			free(url);
			goto out;
		}
		free(url);
		if (r.status != 200) {
			d = objstore_describe(os, r.status, r.body.data,
			    r.body.len);
			dp_error_set(err, r.status == 403 ? DP_ERR_PERM :
			    DP_ERR_NET, "listing: %s", d);
			free(d);
			goto out;
		}
		if (objstore_s3_parse_list(r.body.data, r.body.len, strip_cb,
		    &st, &next, err) == -1)
			goto out;
	} while (next != NULL);
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
s3_creds_missing(const struct objstore *os)
{
	if (os->access == NULL)
		return "Access-Key:";
	if (os->secret == NULL)
		return "Secret-Key:";
	return NULL;
}

const struct objstore_proto objstore_s3_proto = {
	.name = "S3",
	.container = "bucket",
	.creds_need = "Access-Key: and Secret-Key:",
	.creds_check = "Access-Key: and Secret-Key:",
	.creds_missing = s3_creds_missing,
	.init = objstore_s3_init,
	.prepare = objstore_s3_prepare,
	.sign = objstore_s3_sign,
	.reauth = NULL,
	.list = objstore_s3_list,
	.parse_error = objstore_s3_parse_error,
};
