/*
 * fuzz-api.c - libFuzzer target for the promoter's HTTP API without a
 * socket: api_handle() (promoter/api.c, api-pipeline.c: routing of the
 * path, authorisation, the JSON bodies of results, promote, rollback ...)
 * and metrics_answer() (promoter/metrics.c) as http.c's route table would,
 * http_query_parse() for the query string, and the file server's path
 * and Range checks (promoter/serve.c), against a real database with
 * three snapshots and the environments test -> staging -> prod
 * (tests/fuzz/fuzz-promoter.c).
 *
 * Input: "METHOD /path?query" on the first line, then header lines
 * ("Authorization: Bearer ...", "Range: ...") up to an empty line, then
 * the body.  Every request gets an answer with a status.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../promoter/promoter.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct promoter		*p = fuzz_promoter();
	struct http_reply	 r;
	struct api_query	 q;
	struct fuzz_req		 rq;
	const char		*range;
	char			*s;
	uint64_t		 off, len;

	s = fuzz_str(data, size);
	if (fuzz_request(s, &rq) == -1)
		goto out;
	http_query_parse(&q, fuzz_query_get, rq.query != NULL ? rq.query : "");
	if ((range = fuzz_header_get(&rq, "Range")) != NULL &&
	    serve_range(range, 1000, &off, &len) == 1 &&
	    (off >= 1000 || len == 0 || off + len > 1000))
		abort();
	serve_path_ok(rq.url[0] == '/' ? rq.url + 1 : rq.url);
	if (strcmp(rq.url, "/metrics") != 0 &&
	    strncmp(rq.url, "/api/", 5) != 0)
		goto out;	/* http.c sends the rest elsewhere */
	if (strncmp(rq.url, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) == 0)
		goto out;	/* hooks.c: fuzz-hookreq */
	memset(&r, 0, sizeof(r));
	if (strcmp(rq.url, "/metrics") == 0)
		metrics_answer(p, rq.method, &r);
	else
		api_handle(p, rq.method, rq.url, fuzz_header_get(&rq,
		    "Authorization"), rq.body, rq.body != NULL ?
		    size - (size_t)(rq.body - s) : 0, &q, &r);
	if (r.status < 100 || r.status > 599 || r.body == NULL)
		abort();
	free(r.body);
out:
	free(s);
	return 0;
}
