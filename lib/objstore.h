/*
 * objstore.h - HTTP to object storage: S3 (AWS Signature V4, signed by
 * libcurl's CURLOPT_AWS_SIGV4) and OpenStack Swift (tempauth v1.0 or
 * Keystone v3 tokens), many requests at once over kept-alive connections
 * (one libcurl multi handle), retrying 5xx, 429, 408 and transport
 * errors with exponential backoff.
 *
 * objstore.c is the engine, objstore-s3.c and objstore-swift.c what
 * differs per protocol (URLs, headers, auth, listing parsers), each one
 * struct objstore_proto table of function pointers (objstore-int.h): the
 * seam a new kind of publish target plugs into.
 */
#ifndef DEBPIPE_OBJSTORE_H
#define DEBPIPE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

#define OBJSTORE_CACHE_IMMUTABLE	"public, max-age=31536000, immutable"
#define OBJSTORE_CACHE_SHORT		"public, max-age=30"

struct objstore;

enum objstore_op {
	OBJ_PUT,
	OBJ_DELETE,
};

/* One request.  The caller fills the first part; key is relative to the
 * target's prefix. */
struct objstore_job {
	enum objstore_op op;
	char		*key;
	char		*path;		/* PUT: the local file */
	uint64_t	 size;
	char		 sha256[65];
	char		 md5[33];	/* "" if unknown (Swift ETag check) */
	const char	*cache_control;
	void		*data;		/* the caller's */

	/* Results. */
	int		 ok;
	long		 status;	/* last HTTP status, 0 if none */
	char		 etag[80];

	/* Engine state. */
	int		 attempts;
	double		 not_before;
};

/* Called as each job succeeds (from objstore_run's thread). */
typedef void (*objstore_done_cb)(struct objstore_job *job, void *arg);

/* Credentials from t->credentials (deb822; refused unless a regular file
 * of mode 0600 or stricter owned by the effective user), authentication
 * (Swift) and connection set-up.  Nothing is logged of the credentials. */
int	 objstore_open(const struct conf_target *t, struct objstore **out,
	    struct dp_error *err);
void	 objstore_close(struct objstore *os);		/* NULL no-op */

/* Run every job, t->jobs at a time.  Returns 0 when all succeeded; -1
 * when one failed for good (err says which and why; no new jobs start
 * after that, those in flight finish and are reported through cb). */
int	 objstore_run(struct objstore *os, struct objstore_job *jobs,
	    size_t n, objstore_done_cb cb, void *arg, struct dp_error *err);

/* One object in a listing. */
struct objstore_entry {
	char		*key;		/* relative to the prefix */
	uint64_t	 size;
	char		 etag[80];
};
typedef int (*objstore_list_cb)(const struct objstore_entry *e, void *arg);

/* List every object under the target's prefix (paged). */
int	 objstore_list(struct objstore *os, objstore_list_cb cb, void *arg,
	    struct dp_error *err);

/* Base URL of the bucket/container with the prefix and a trailing "/",
 * as an apt client reads it without credentials (Swift: the storage URL
 * from authentication). */
const char *objstore_public_url(const struct objstore *os);

/* Requests sent so far (retries included). */
size_t	 objstore_requests(const struct objstore *os);

/* Reply parsers (exposed for the unit tests and the fuzz target): an S3
 * ListObjectsV2 XML page, a Swift JSON listing page.  Each entry's key is
 * the full object name; *next (caller frees) receives the continuation
 * token (S3) or the last name (Swift), NULL when this was the last page.
 * Return 0, or -1 with err for a malformed reply. */
int	 objstore_s3_parse_list(const char *body, size_t len,
	    objstore_list_cb cb, void *arg, char **next, struct dp_error *err);
int	 objstore_swift_parse_list(const char *body, size_t len,
	    objstore_list_cb cb, void *arg, char **next, struct dp_error *err);
/* The <Code> and <Message> of an S3 error reply, as "Code: Message" (caller
 * frees), or NULL. */
char	*objstore_s3_parse_error(const char *body, size_t len);

/* Percent-encode an object key for a URL path ('/' kept). Caller frees. */
char	*objstore_key_escape(const char *key);

#endif
