/*
 * fuzz-hookreq.c - libFuzzer target for the forge push hooks as requests:
 * hooks_handle() (promoter/hooks.c) with headers and body together, as
 * http.c hands them over, against the promoter of fuzz-promoter.c (a
 * Hooks-File with GitHub, Gitea and GitLab secrets, a hook token, two
 * git watches, a real database for the delivery IDs).  What is fuzzed:
 * which forge (the path), the method, the event headers (X-GitHub-Event,
 * X-Gitea-Event, X-Gitlab-Event, X-Event), the signature and token
 * headers, the delivery IDs and their replay check, the payload.
 *
 * Input: "METHOD /api/v1/hooks/FORGE", header lines up to an empty line,
 * then the body (fuzz_request).  A signature header whose value is "sign"
 * is replaced by the right HMAC of the body, so the fuzzer gets past the
 * check to the rest.  What must hold: every request gets a status and a
 * body; a 2xx only with the right signature, token or bearer token; a
 * push accepted with a delivery ID is refused (409) when sent again.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "../../promoter/promoter.h"

/* "sha256=" (GitHub) or nothing (Gitea), then the HMAC of the body. */
static void
sign(const char *secret, const char *prefix, const char *body, size_t len,
    char *out, size_t outsz)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;
	size_t		n;

	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, len, md, &mdlen);
	n = (size_t)snprintf(out, outsz, "%s", prefix);
	for (i = 0; i < mdlen && n + 3 <= outsz; i++, n += 2)
		snprintf(out + n, 3, "%02x", md[i]);
}

/* Is sig (with or without "sha256=") the HMAC hex in want? */
static int
sig_is(const char *sig, const char *want)
{
	if (sig == NULL)
		return 0;
	if (strncasecmp(sig, "sha256=", 7) == 0)
		sig += 7;
	return strcasecmp(sig, want) == 0;
}

static void
handle(struct promoter *p, struct fuzz_req *rq, const char *forge,
    size_t len, struct http_reply *r)
{
	memset(r, 0, sizeof(*r));
	hooks_handle(p, fuzz_header_get, rq, rq->method, forge,
	    rq->body, len, r);
	if (r->status < 100 || r->status > 599 || r->body == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 gh[80], gt[80];
	char			 ghx[80], gtx[80];
	struct promoter		*p = fuzz_promoter();
	struct http_reply	 r;
	struct fuzz_req		 rq;
	const char		*forge, *v, *delivery;
	char			*s;
	size_t			 i, len;
	int			 signed_ok = 0;

	s = fuzz_str(data, size);
	if (fuzz_request(s, &rq) == -1 ||
	    strncmp(rq.url, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) != 0)
		goto out;
	forge = rq.url + strlen(HOOKS_PREFIX);
	len = rq.body != NULL ? size - (size_t)(rq.body - s) : 0;
	sign(FUZZ_GH_SECRET, "sha256=", rq.body != NULL ? rq.body : "", len,
	    gh, sizeof(gh));
	sign(FUZZ_GITEA_SECRET, "", rq.body != NULL ? rq.body : "", len, gt,
	    sizeof(gt));
	snprintf(ghx, sizeof(ghx), "%s", gh + 7);
	snprintf(gtx, sizeof(gtx), "%s", gt);
	for (i = 0; i < rq.nhdrs; i++) {
		if (strcmp(rq.hdrs[i].value, "sign") != 0)
			continue;
		if (strcasecmp(rq.hdrs[i].name, "X-Hub-Signature-256") == 0)
			rq.hdrs[i].value = gh;
		else if (strcasecmp(rq.hdrs[i].name, "X-Gitea-Signature") == 0)
			rq.hdrs[i].value = gt;
	}
	/* Was the request rightly signed for its forge? */
	if (strcmp(forge, "github") == 0)
		signed_ok = sig_is(fuzz_header_get(&rq,
		    "X-Hub-Signature-256"), ghx);
	else if (strcmp(forge, "gitea") == 0)
		signed_ok = sig_is(fuzz_header_get(&rq,
		    "X-Gitea-Signature"), gtx);
	else if (strcmp(forge, "gitlab") == 0)
		signed_ok = (v = fuzz_header_get(&rq, "X-Gitlab-Token")) !=
		    NULL && strcmp(v, "gitlab-token-0123") == 0;
	else if (strcmp(forge, "generic") == 0)
		signed_ok = (v = fuzz_header_get(&rq, "Authorization")) !=
		    NULL && strstr(v, "hook-token-0123456789") != NULL;
	handle(p, &rq, forge, len, &r);
	if (r.status >= 200 && r.status < 300 && !signed_ok) {
		fprintf(stderr, "fuzz-hookreq: %d without the right "
		    "signature: %s\n", r.status, r.body);
		abort();
	}
	free(r.body);
	if (r.status != 202)
		goto out;
	/* Accepted: the same delivery again triggers nothing. */
	delivery = strcmp(forge, "github") == 0 ? "X-GitHub-Delivery" :
	    strcmp(forge, "gitea") == 0 ? "X-Gitea-Delivery" :
	    strcmp(forge, "gitlab") == 0 ? "X-Gitlab-Event-UUID" :
	    "X-Delivery-ID";
	if (fuzz_header_get(&rq, delivery) == NULL &&
	    (strcmp(forge, "gitlab") != 0 ||
	    fuzz_header_get(&rq, "Idempotency-Key") == NULL))
		goto out;
	handle(p, &rq, forge, len, &r);
	if (r.status != 409) {
		fprintf(stderr, "fuzz-hookreq: a replayed delivery got %d: "
		    "%s\n", r.status, r.body);
		abort();
	}
	free(r.body);
out:
	free(s);
	return 0;
}
