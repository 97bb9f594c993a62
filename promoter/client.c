/* client.c - HTTP requests to the promoter API (libcurl, set up by
 * lib/http-client.c), for snapshot-promote. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "fsutil.h"
#include "http-client.h"
#include "promoter.h"
#include "xmalloc.h"

#define CLIENT_REPLY_MAX	(64 * 1024 * 1024)

static size_t
client_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n > CLIENT_REPLY_MAX)
		return 0;
	buf_add(b, ptr, n);
	return n;
}

int
client_request(struct client *c, const char *method, const char *path,
    json_t *body, long *status, json_t **reply, struct dp_error *err)
{
	struct http_client_opts	 o = {
		.agent = "snapshot-promote/" VERSION,
		.protocols = "http,https",
		.connect_timeout = 10L,
		.timeout_ms = (c->timeout > 0 ? c->timeout : 60L) * 1000L,
	};
	CURL			*curl;
	struct curl_slist	*hdr = NULL;
	struct buf		 b;
	char			 ebuf[CURL_ERROR_SIZE];
	char			*url, *auth = NULL, *payload = NULL;
	int			 rv = -1;

	*status = 0;
	*reply = NULL;
	buf_init(&b);
	if ((curl = http_client_new(&o, ebuf, err)) == NULL)
		return -1;
	url = xasprintf("%s%s", c->server, path);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (c->token != NULL && strcmp(method, "GET") != 0) {
		auth = xasprintf("Authorization: Bearer %s", c->token);
		hdr = curl_slist_append(hdr, auth);
	}
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload != NULL ?
		    payload : "{}");
	}
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (http_client_perform(curl, ebuf, status, err) == -1) {
		dp_error_prefix(err, "%s", c->server);
		goto out;
	}
	if (b.len > 0)
		*reply = json_loadb(b.data, b.len, 0, NULL);
	rv = 0;
out:
	if (auth != NULL) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(payload);
	free(url);
	buf_done(&b);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return rv;
}

const char *
client_error(json_t *reply, long status)
{
	static char	 buf[64];
	json_t		*e;

	/* An empty "error" says nothing: the status does (found by
	 * fuzz-spreply). */
	if (reply != NULL && (e = json_object_get(reply, "error")) != NULL &&
	    json_is_string(e) && *json_string_value(e) != '\0')
		return json_string_value(e);
	snprintf(buf, sizeof(buf), "HTTP status %ld", status);
	return buf;
}

int
client_token_file(const char *path, char **out, struct dp_error *err)
{
	char	*data = NULL, *line, *next, *p, *end;
	size_t	 len;

	*out = NULL;
	if (fs_read_file(path, 64 * 1024, &data, &len, err) == -1) {
		dp_error_prefix(err, "token file");
		return -1;
	}
	for (line = data; line != NULL && *out == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		*out = xstrdup(p);
	}
	memset(data, 0, len);
	free(data);
	if (*out == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "token file %s holds no "
		    "token", path);
		return -1;
	}
	return 0;
}
