/*
 * fuzz-api.c - libFuzzer target for the promoter's HTTP API without a
 * socket: api_handle() (promoter/api.c, api-pipeline.c: routing of the
 * path, authorisation, the JSON bodies of results, promote, rollback ...),
 * http_query_parse() for the query string, and the file server's path
 * and Range checks (promoter/serve.c), against a real database with
 * three snapshots and the environments test -> staging -> prod.
 *
 * Input: "METHOD /path?query" on the first line, then header lines
 * ("Authorization: Bearer ...", "Range: ...") up to an empty line, then
 * the body.  Every request gets an answer with a status.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "db.h"
#include "fuzz.h"
#include "log.h"
#include "../../promoter/promoter.h"
#include "xmalloc.h"

static struct promoter	 P;

static const char CONF[] =
    "State-Dir: state\n"
    "Public-Dir: public\n"
    "Public-URL: http://127.0.0.1:9/repo\n"
    "Tokens-File: tokens\n"
    "Builder: host\n"
    "\n"
    "Distribution: bookworm\n"
    "\n"
    "Environment: test\n"
    "Auto-Promote: yes\n"
    "\n"
    "Environment: staging\n"
    "Promote-From: test\n"
    "Requires: acceptance upgrade\n"
    "\n"
    "Environment: prod\n"
    "Promote-From: staging\n"
    "Requires: staging-deploy\n"
    "Min-Soak: 1h\n";

static const char TOKENS[] =
    "reporter-0123456789abcdef reporter ci-bot\n"
    "admin-fedcba9876543210 admin alice\n"
    "hook-token-0123456789 hook forge\n";

static void
setup(void)
{
	static const char *const snaps[] = { "20261101T000000Z",
	    "20261102T000000Z", "20261103T000000Z" };
	struct dp_error	 err;
	char		 path[512], *sql;
	size_t		 i;

	log_init("fuzz-api", 0);	/* to syslog: keep stderr for reports */
	snprintf(path, sizeof(path), "%s/tokens", fuzz_dir());
	fuzz_file("tokens", TOKENS, strlen(TOKENS));
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/state", fuzz_dir());
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/public", fuzz_dir());
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/public/snapshots", fuzz_dir());
	mkdir(path, 0755);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/public/snapshots/%s",
		    fuzz_dir(), snaps[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s", fuzz_file("debpipe.conf", CONF,
	    strlen(CONF)));
	pthread_rwlock_init(&P.cfglock, NULL);
	pthread_mutex_init(&P.lock, NULL);
	pthread_cond_init(&P.notify_cond, NULL);
	if (pthread_key_create(&P.rdb_key, NULL) != 0 ||
	    config_load(path, &P.cfg, &err) == -1 ||
	    tokens_load(P.cfg->tokens_file, &P.tokens, &err) == -1)
		goto fail;
	P.db_path = config_db_path(P.cfg);
	if (db_open(P.db_path, &P.db, &err) == -1 ||
	    hooks_init(P.db, &err) == -1)
		goto fail;
	for (i = 0; i < 3; i++) {
		sql = xasprintf("INSERT INTO snapshots(id, created, packages, "
		    "sources, digest) VALUES ('%s', '2026-11-0%zuT00:00:00Z', "
		    "x'', x'', 'd%zu')", snaps[i], i + 1, i);
		if (db_exec(P.db, sql, &err) == -1)
			goto fail;
		free(sql);
	}
	P.public_real = realpath(P.cfg->public_dir, NULL);
	P.serve_prefix = xstrdup("/repo");
	return;
fail:
	fprintf(stderr, "fuzz-api: setup: %s\n", err.msg);
	abort();
}

/* The query string "k=v&k2=v2" (not decoded) as http_query_parse reads
 * arguments. */
static const char *
query_get(void *arg, const char *key)
{
	static char	 val[5][256];
	static int	 slot;
	const char	*q = arg, *p, *amp, *eq;
	size_t		 klen = strlen(key), n;

	for (p = q; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			continue;
		if ((size_t)(eq - p) != klen || strncmp(p, key, klen) != 0)
			continue;
		n = amp != NULL ? (size_t)(amp - eq - 1) : strlen(eq + 1);
		slot = (slot + 1) % 5;
		snprintf(val[slot], sizeof(val[slot]), "%.*s", (int)n, eq + 1);
		return val[slot];
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_reply	 r;
	struct api_query	 q;
	char			*s, *line, *next, *method, *url, *query;
	char			*body = NULL, *auth = NULL, *range = NULL;
	uint64_t		 off, len;

	if (P.cfg == NULL)
		setup();
	s = fuzz_str(data, size);
	/* request line */
	line = s;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	method = line;
	if ((url = strchr(line, ' ')) == NULL)
		goto out;
	*url++ = '\0';
	if ((query = strchr(url, '?')) != NULL)
		*query++ = '\0';
	/* headers */
	for (line = next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			body = next;
			break;
		}
		if (strncasecmp(line, "Authorization: ", 15) == 0)
			auth = line + 15;
		else if (strncasecmp(line, "Range: ", 7) == 0)
			range = line + 7;
	}
	http_query_parse(&q, query_get, query != NULL ? query : "");
	if (range != NULL && serve_range(range, 1000, &off, &len) == 1 &&
	    (off >= 1000 || len == 0 || off + len > 1000))
		abort();
	serve_path_ok(url[0] == '/' ? url + 1 : url);
	if (strcmp(url, "/metrics") != 0 &&
	    strncmp(url, "/api/", 5) != 0)
		goto out;	/* http.c sends the rest elsewhere */
	if (strncmp(url, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) == 0)
		goto out;	/* hooks.c: fuzz-hooks */
	memset(&r, 0, sizeof(r));
	api_handle(&P, method, url, auth, body,
	    body != NULL ? size - (size_t)(body - s) : 0, &q, &r);
	if (r.status < 100 || r.status > 599 || r.body == NULL)
		abort();
	free(r.body);
out:
	free(s);
	return 0;
}
