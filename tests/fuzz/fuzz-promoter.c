/*
 * fuzz-promoter.c - the promoter the api, hookreq and ui targets answer
 * with (tests/fuzz/fuzz.h): a real configuration (three environments,
 * two git watches), a Tokens-File and a Hooks-File, and a real database
 * holding three snapshots, builds (one with a log), watch states, results
 * and promotions.  The strings the builder and the CI systems write into
 * it (messages, errors, URLs, reasons) carry markup, so fuzz-ui sees
 * hostile data from the database as well as from the request.  Made
 * once per process, in fuzz_dir().
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    "Hooks-File: hooks\n"
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

static const char WATCHES[] =
    "Watch: hello\n"
    "Type: git\n"
    "URL: https://example.org/t/hello.git\n"
    "Branch: main\n"
    "Distribution: bookworm\n"
    "Interval: 1h\n"
    "\n"
    "Watch: other\n"
    "Type: git\n"
    "URL: git@example.org:t/other.git\n"
    "Branch: other\n"
    "Merge: ssh://git@example.org:22/t/fix.git fix\n"
    "Distribution: bookworm\n"
    "Interval: 1h\n";

static const char TOKENS[] =
    "reporter-0123456789abcdef reporter ci-bot\n"
    "admin-fedcba9876543210 admin alice\n"
    "hook-token-0123456789 hook forge\n";

static const char HOOKS[] =
    "Forge: github\n"
    "Secret: " FUZZ_GH_SECRET "\n"
    "\n"
    "Forge: gitea\n"
    "Secret: " FUZZ_GITEA_SECRET "\n"
    "\n"
    "Forge: gitlab\n"
    "Secret: gitlab-token-0123\n";

/* Markup as the builder, CI systems and admins may write it (SQL quoted:
 * the two single quotes are one). */
#define EVIL	"<script>alert(1)</script>\"''><img src=x onerror=alert(2)>"

static const char LOG[] =
    "dpkg-buildpackage -us -uc\n"
    "<script>alert('log')</script> &amp; </pre><b>bold</b>\n"
    "dpkg-deb: building package 'dp-hello' in '../dp-hello_1.1_all.deb'.\n";

static const char *const SQL[] = {
	"INSERT INTO watches(name, last_poll, last_change, last_inputs, "
	    "last_error) VALUES ('hello', '2026-11-03T10:00:00Z', "
	    "'2026-11-02T10:00:00Z', 'hello=1a2b', '" EVIL "'), "
	    "('other', 'not a time " EVIL "', NULL, NULL, NULL)",
	"INSERT INTO builds(watch, state, inputs, version, queued, started, "
	    "finished, message, log_path, attempts) VALUES "
	    "('hello', 'success', 'hello=1a2b', '1.1', '2026-11-02T10:00:00Z', "
	    "'2026-11-02T10:00:01Z', '2026-11-02T10:01:00Z', 'built', "
	    "'@LOG@', 1), "
	    "('hello', 'failed', '" EVIL "', '1.2" EVIL "', "
	    "'2026-11-02T11:00:00Z', '2026-11-02T11:00:01Z', "
	    "'2026-11-02T11:01:00Z', '" EVIL "', '/nonexistent/log', 2), "
	    "('" EVIL "', 'running', NULL, NULL, '2026-11-02T12:00:00Z', "
	    "'2026-11-02T12:00:01Z', NULL, NULL, NULL, 1), "
	    "('other', 'queued', NULL, NULL, '2026-11-02T13:00:00Z', NULL, "
	    "NULL, NULL, NULL, 0)",
	"INSERT INTO results(snapshot, job, result, url, time, actor) VALUES "
	    "('20261102T000000Z', 'acceptance', 'success', "
	    "'https://ci.example.org/1', '2026-11-02T01:00:00Z', 'ci-bot'), "
	    "('20261102T000000Z', 'upgrade', 'failure', "
	    "'javascript:alert(1)', '2026-11-02T02:00:00Z', '" EVIL "'), "
	    "('20261103T000000Z', '" EVIL "', 'success', "
	    "'https://ci.example.org/\"><script>x</script>', "
	    "'2026-11-03T01:00:00Z', 'ci-bot')",
	"INSERT INTO environments(name, snapshot, since) VALUES "
	    "('test', '20261103T000000Z', '2026-11-03T00:00:00Z'), "
	    "('staging', '20261102T000000Z', '2026-11-02T03:00:00Z')",
	"INSERT INTO env_history(env, from_snapshot, to_snapshot, time, actor, "
	    "reason, kind) VALUES "
	    "('test', NULL, '20261101T000000Z', '2026-11-01T00:00:00Z', "
	    "'debpipe', 'auto', 'promote'), "
	    "('test', '20261101T000000Z', '20261103T000000Z', "
	    "'2026-11-03T00:00:00Z', 'debpipe', NULL, 'promote'), "
	    "('staging', NULL, '20261102T000000Z', '2026-11-02T03:00:00Z', "
	    "'" EVIL "', '" EVIL "', 'promote')",
	NULL
};

struct promoter *
fuzz_promoter(void)
{
	static const char *const snaps[] = { "20261101T000000Z",
	    "20261102T000000Z", "20261103T000000Z" };
	struct dp_error	 err;
	char		 path[512], *sql, *at;
	size_t		 i;

	if (P.cfg != NULL)
		return &P;
	log_init("fuzz", 0);	/* to syslog: keep stderr for reports */
	snprintf(path, sizeof(path), "%s/tokens", fuzz_dir());
	fuzz_file("tokens", TOKENS, strlen(TOKENS));
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/hooks", fuzz_dir());
	fuzz_file("hooks", HOOKS, strlen(HOOKS));
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/watch.d", fuzz_dir());
	mkdir(path, 0755);
	fuzz_file("watch.d/hello.watch", WATCHES, strlen(WATCHES));
	fuzz_file("build.log", LOG, strlen(LOG));
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
	    tokens_load(P.cfg->tokens_file, &P.tokens, &err) == -1 ||
	    hooks_load(P.cfg->hooks_file, &P.hooks, &err) == -1)
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
	for (i = 0; SQL[i] != NULL; i++) {
		if ((at = strstr(SQL[i], "@LOG@")) != NULL) {
			snprintf(path, sizeof(path), "%s/build.log",
			    fuzz_dir());
			sql = xasprintf("%.*s%s%s", (int)(at - SQL[i]), SQL[i],
			    path, at + 5);
		} else
			sql = xstrdup(SQL[i]);
		if (db_exec(P.db, sql, &err) == -1)
			goto fail;
		free(sql);
	}
	P.public_real = realpath(P.cfg->public_dir, NULL);
	P.serve_prefix = xstrdup("/repo");
	return &P;
fail:
	fprintf(stderr, "fuzz: promoter setup: %s\n", err.msg);
	abort();
}

/* The query string "k=v&k2=v2" (not decoded) as http_query_parse reads
 * arguments. */
const char *
fuzz_query_get(void *arg, const char *key)
{
	static char	 val[8][256];
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
		slot = (slot + 1) % 8;
		snprintf(val[slot], sizeof(val[slot]), "%.*s", (int)n, eq + 1);
		return val[slot];
	}
	return NULL;
}

int
fuzz_request(char *s, struct fuzz_req *rq)
{
	char	*line, *next;

	memset(rq, 0, sizeof(*rq));
	line = s;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	rq->method = line;
	if ((rq->url = strchr(line, ' ')) == NULL)
		return -1;
	*rq->url++ = '\0';
	if ((rq->query = strchr(rq->url, '?')) != NULL)
		*rq->query++ = '\0';
	for (line = next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			rq->body = next;
			break;
		}
		if (rq->nhdrs < FUZZ_HDRS_MAX &&
		    (rq->hdrs[rq->nhdrs].value = strchr(line, ':')) != NULL) {
			rq->hdrs[rq->nhdrs].name = line;
			*rq->hdrs[rq->nhdrs].value++ = '\0';
			while (*rq->hdrs[rq->nhdrs].value == ' ')
				rq->hdrs[rq->nhdrs].value++;
			rq->nhdrs++;
		}
	}
	return 0;
}

const char *
fuzz_header_get(void *arg, const char *name)
{
	const struct fuzz_req	*rq = arg;
	size_t			 i;

	for (i = 0; i < rq->nhdrs; i++)
		if (strcasecmp(rq->hdrs[i].name, name) == 0)
			return rq->hdrs[i].value;
	return NULL;
}
