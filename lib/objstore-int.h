/*
 * objstore-int.h - what objstore.c, objstore-s3.c and objstore-swift.c
 * share; not for other modules.
 */
#ifndef DEBPIPE_OBJSTORE_INT_H
#define DEBPIPE_OBJSTORE_INT_H

#include <curl/curl.h>

#include "objstore.h"
#include "xmalloc.h"

/*
 * What differs per protocol: one table each (objstore-s3.c,
 * objstore-swift.c), chosen by the target's Publish-To: scheme.  A new
 * kind of publish target is a new table and a line in objstore_protos.
 */
struct objstore_proto {
	const char	*name;		/* "S3", "Swift" (messages) */
	const char	*container;	/* "bucket", "container" */
	const char	*creds_need;	/* credentials fields, for a message */
	const char	*creds_check;	/* what a 401/403 says to check */
	/* After the credentials are read: missing field or NULL. */
	const char	*(*creds_missing)(const struct objstore *);
	int		 (*init)(struct objstore *, struct dp_error *);
	/* Headers for a PUT/DELETE (and signing set on h). */
	struct curl_slist *(*prepare)(struct objstore *, CURL *,
			    const struct objstore_job *);
	/* Sign a simple request (may be NULL). */
	void		 (*sign)(struct objstore *, CURL *);
	/* Authenticate again after a 401 (NULL: a 401 is final). */
	int		 (*reauth)(struct objstore *, struct dp_error *);
	int		 (*list)(struct objstore *, objstore_list_cb, void *,
			    struct dp_error *);
	/* Describe an error reply body (caller frees), or NULL. */
	char		*(*parse_error)(const char *, size_t);
};

extern const struct objstore_proto objstore_s3_proto;
extern const struct objstore_proto objstore_swift_proto;

struct objstore {
	const struct conf_target *t;
	const struct objstore_proto *proto;
	CURLM		*multi;
	size_t		 requests;
	int		 retries;	/* attempts per request */
	long		 timeout;	/* seconds per request */

	/* S3 */
	char		*access;
	char		*secret;
	char		*sigv4;		/* "aws:amz:REGION:s3" */
	/* Swift */
	char		*user;
	char		*key;		/* tempauth Key: */
	char		*password;	/* Keystone */
	char		*project;
	char		*domain;
	char		*token;

	char		*base;		/* bucket/container URL + "/" */
	char		*public;	/* base + prefix + "/" */
};

/* A GET/HEAD-like request done at once (auth, listing); body and headers
 * captured.  hdr_want names one response header to keep (or NULL). */
struct objstore_resp {
	long		 status;
	struct buf	 body;
	struct buf	 hdr;		/* every response header line */
};
void	 objstore_resp_done(struct objstore_resp *);
/* The value of response header name (caller frees), or NULL. */
char	*objstore_resp_header(const struct objstore_resp *, const char *name);
/* Perform one request synchronously.  method NULL = GET. */
int	 objstore_simple(struct objstore *os, const char *method,
	    const char *url, struct curl_slist *hdrs, const char *body,
	    struct objstore_resp *resp, struct dp_error *err);

/* Per protocol. */
int	 objstore_s3_init(struct objstore *os, struct dp_error *err);
struct curl_slist *objstore_s3_prepare(struct objstore *os, CURL *h,
	    const struct objstore_job *job);
void	 objstore_s3_sign(struct objstore *os, CURL *h);
int	 objstore_s3_list(struct objstore *os, objstore_list_cb cb, void *arg,
	    struct dp_error *err);

/* The public object-store URL of region ("us-east-1": any) in a Keystone
 * v3 token reply (*storage, caller frees; NULL when none); -1 when the
 * reply has no service catalog.  Also for tests/fuzz. */
int	 objstore_swift_catalog(const char *body, size_t len,
	    const char *region, char **storage);
int	 objstore_swift_init(struct objstore *os, struct dp_error *err);
int	 objstore_swift_auth(struct objstore *os, struct dp_error *err);
struct curl_slist *objstore_swift_prepare(struct objstore *os, CURL *h,
	    const struct objstore_job *job);
int	 objstore_swift_list(struct objstore *os, objstore_list_cb cb,
	    void *arg, struct dp_error *err);

/* Key with the target's prefix, escaped: "prefix/key" (caller frees). */
char	*objstore_full_key(const struct objstore *os, const char *key);
/* Describe a failed reply for an error message (caller frees). */
char	*objstore_describe(const struct objstore *os, long status,
	    const char *body, size_t len);

#endif
