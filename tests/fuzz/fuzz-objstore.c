/*
 * fuzz-objstore.c - libFuzzer target for the replies of object stores
 * (lib/objstore-s3.c, lib/objstore-swift.c, lib/objstore.c): the input is
 * parsed as an S3 ListObjectsV2 page and an S3 error (XML, libxml2), a
 * Swift listing page and a Keystone v3 token reply (JSON, jansson), and
 * as the response headers a reply carries: those the object store
 * reads, and, line by line, ETag, Last-Modified and Retry-After as the
 * upstream fetcher (lib/fetch.c) reads them.  Every listed entry has a
 * non-empty key; a Retry-After is -1 or within the cap.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fuzz.h"
#include "objstore-int.h"

static int
entry_cb(const struct objstore_entry *e, void *arg)
{
	size_t *n = arg;

	if (e->key == NULL || e->key[0] == '\0')
		abort();
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hdrs[] = { "X-Storage-Url", "X-Auth-Token",
	    "X-Subject-Token", "ETag", "Content-Length", "Retry-After" };
	struct objstore_resp	 r;
	struct dp_error		 err;
	const char		*body = (const char *)data;
	const char		*line, *eol, *end = body + size;
	char			*next, *s;
	size_t			 n = 0, i;
	long			 secs;

	if (objstore_s3_parse_list(body, size, entry_cb, &n, &next, &err) == 0)
		free(next);
	free(objstore_s3_parse_error(body, size));
	if (objstore_swift_parse_list(body, size, entry_cb, &n, &next,
	    &err) == 0)
		free(next);
	if (objstore_swift_catalog(body, size, "us-east-1", &s) == 0)
		free(s);
	if (objstore_swift_catalog(body, size, "RegionOne", &s) == 0)
		free(s);

	memset(&r, 0, sizeof(r));
	buf_init(&r.body);
	buf_init(&r.hdr);
	buf_add(&r.hdr, data, size);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		free(objstore_resp_header(&r, hdrs[i]));
	objstore_resp_done(&r);

	for (line = body; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if ((s = fetch_header_value(line, (size_t)(eol - line))) !=
		    NULL) {
			for (i = 0; s[i] != '\0'; i++)
				if (s[i] < 0x20 || s[i] > 0x7e)
					abort();
			free(s);
		}
		secs = fetch_retry_after(line, (size_t)(eol - line));
		if (secs < -1)
			abort();
	}
	return 0;
}
