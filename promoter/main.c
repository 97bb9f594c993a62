/*
 * main.c - debpipe-promoter: start-up, the evaluation tick, reload, stop.
 *
 * Every second the promoter re-points any environment symlink that
 * disagrees with the database and applies the promotion rules (which
 * picks up new snapshots, results and passed Min-Soak times); promote
 * requests evaluate at once as well, and so does a successful result when
 * an environment could move because of it.  After each tick the WAL is
 * checkpointed on a connection of its own, not by the requests (PASSIVE;
 * RESTART once the WAL holds more than CKPT_RESTART_FRAMES, as readers
 * that never pause keep a passive checkpoint from ever finishing and the
 * WAL from starting over: it grew to 400 MB in a 60 s load test and
 * every request got slower).  SIGHUP reloads the
 * configuration and the Tokens-File (keeping the old ones when the new
 * ones are bad); Listen, Serve-Public, Public-Dir and Public-URL changes
 * need a restart.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "promoter.h"
#include "remote-sched.h"
#include "xmalloc.h"

#define HEARTBEAT_EVERY	10	/* ticks */
#define CKPT_RESTART_FRAMES 4096	/* WAL frames (16 MiB of 4 KiB pages) */

static const char usage_extra[] =
    "Moves snapshots through the environments of the configuration and\n"
    "serves the API that snapshot-promote talks to (see debpipe-promoter(8)).\n"
    "--once: reconcile the environment symlinks, apply the rules and send\n"
    "due notifications once, then exit (no HTTP server).\n";

/* Path part of a URL ("http://h/debpipe/" -> "/debpipe"), "" for none. */
static char *
promoter_url_path(const char *url)
{
	const char	*p;
	char		*path;
	size_t		 len;

	if (url == NULL || (p = strstr(url, "://")) == NULL)
		return xstrdup("");
	if ((p = strchr(p + 3, '/')) == NULL)
		return xstrdup("");
	path = xstrdup(p);
	path[strcspn(path, "?#")] = '\0';
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	return path;
}

static int
promoter_tokens(struct promoter *p, const struct config *cfg,
    struct tokens **out, struct dp_error *err)
{
	*out = NULL;
	if (cfg->tokens_file == NULL)
		return 0;
	return tokens_load(cfg->tokens_file, out, err);
}

static void
promoter_reload(struct promoter *p, const char *path)
{
	struct config	*ncfg;
	struct tokens	*ntok;
	struct hooks	*nhooks = NULL;
	struct dp_error	 err;

	if (config_load(path, &ncfg, &err) == -1) {
		log_warnx("reload: %s; keeping the previous configuration",
		    dp_error_str(&err));
		return;
	}
	if (promoter_tokens(p, ncfg, &ntok, &err) == -1) {
		log_warnx("reload: %s; keeping the previous configuration "
		    "and tokens", dp_error_str(&err));
		config_free(ncfg);
		return;
	}
	if (ncfg->hooks_file != NULL &&
	    hooks_load(ncfg->hooks_file, &nhooks, &err) == -1) {
		log_warnx("reload: %s; keeping the previous configuration, "
		    "tokens and hook secrets", dp_error_str(&err));
		tokens_free(ntok);
		config_free(ncfg);
		return;
	}
	if (ncfg->serve_public != p->serve_public ||
	    strcmp(ncfg->public_dir, p->cfg->public_dir) != 0 ||
	    strcmp(ncfg->listen != NULL ? ncfg->listen : "",
	    p->cfg->listen != NULL ? p->cfg->listen : "") != 0)
		log_warnx("reload: Listen, Serve-Public and Public-Dir "
		    "changes take effect at the next restart");
	pthread_rwlock_wrlock(&p->cfglock);
	pthread_mutex_lock(&p->lock);
	config_free(p->cfg);
	p->cfg = ncfg;
	tokens_free(p->tokens);
	p->tokens = ntok;
	hooks_free(p->hooks);
	p->hooks = nhooks;
	pthread_mutex_unlock(&p->lock);
	pthread_rwlock_unlock(&p->cfglock);
	log_info("configuration and tokens reloaded (%zu environment%s, "
	    "%zu token%s)", ncfg->nenvs, ncfg->nenvs == 1 ? "" : "s",
	    ntok != NULL ? ntok->n : 0,
	    ntok != NULL && ntok->n == 1 ? "" : "s");
}

static void
promoter_rdb_free(void *db)
{
	db_close(db);
}

/* One tick: reconcile the symlinks, apply the rules.  Locks. */
/*
 * Copy the WAL into state.db without stopping anyone (PASSIVE); when the
 * WAL has grown past CKPT_RESTART_FRAMES all the same (readers always on
 * an older frame), wait for the readers of the moment and make the next
 * writer start the WAL over (RESTART: writers wait meanwhile, a few ms).
 */
static void
promoter_checkpoint(struct db *ckdb)
{
	int	nlog = 0, nckpt = 0;

	if (sqlite3_wal_checkpoint_v2(db_handle(ckdb), NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt) != SQLITE_OK)
		return;
	if (nlog > CKPT_RESTART_FRAMES &&
	    sqlite3_wal_checkpoint_v2(db_handle(ckdb), NULL,
	    SQLITE_CHECKPOINT_RESTART, &nlog, &nckpt) != SQLITE_OK)
		log_warnx("checkpoint: %s", sqlite3_errmsg(db_handle(ckdb)));
}

static void
promoter_tick(struct promoter *p, int heartbeat)
{
	static char	last_err[sizeof(((struct dp_error *)0)->msg)];
	struct dp_error	err;
	int		n, fixed;

	pthread_rwlock_rdlock(&p->cfglock);
	pthread_mutex_lock(&p->lock);
	if (heartbeat && db_daemon_heartbeat(p->db, PROMOTER_NAME, &err) == -1)
		log_warnx("%s", dp_error_str(&err));
	/* Repeated failures (every second) are logged once. */
	if (env_reconcile(p->db, p->cfg, &fixed, &err) == -1) {
		if (strcmp(last_err, err.msg) != 0)
			log_warnx("reconcile: %s (retrying every second)",
			    dp_error_str(&err));
		snprintf(last_err, sizeof(last_err), "%s", err.msg);
	} else
		last_err[0] = '\0';
	if (rules_evaluate(p->db, p->cfg, time(NULL), &n, &err) == -1)
		log_debug("evaluate: %s", dp_error_str(&err));
	pthread_mutex_unlock(&p->lock);
	pthread_rwlock_unlock(&p->cfglock);
	if (n > 0)
		notify_wake(p);
}

int
main(int argc, char **argv)
{
	struct daemon		 d;
	struct promoter		 p;
	struct dp_error		 err;
	struct MHD_Daemon	*mhd = NULL;
	struct db		*ckdb = NULL;
	pthread_t		 notifier;
	enum daemon_event	 ev;
	pthread_rwlockattr_t	 rwattr;
	unsigned long		 ticks = 0;
	struct remote_sched	*remote;
	size_t			 i;
	char			*lockpath;
	int			 lockfd;

	daemon_start(&d, PROMOTER_NAME, argc, argv, usage_extra);
	memset(&p, 0, sizeof(p));
	pthread_rwlockattr_init(&rwattr);
	/* A reload must not starve behind a stream of reads. */
	pthread_rwlockattr_setkind_np(&rwattr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&p.cfglock, &rwattr);
	pthread_rwlockattr_destroy(&rwattr);
	pthread_mutex_init(&p.lock, NULL);
	if (pthread_key_create(&p.rdb_key, promoter_rdb_free) != 0)
		fatalx("pthread_key_create");
	pthread_cond_init(&p.notify_cond, NULL);
	p.db = d.db;

	/* Our own copy: the HTTP threads use it under p.lock, while
	 * daemon_wait() frees and replaces d.cfg on SIGHUP. */
	if (config_load(d.config_path, &p.cfg, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	for (i = 0; i < p.cfg->nenvs; i++)
		if (env_name_reserved(p.cfg->envs[i].name))
			fatalx("%s:%d: environment name %s collides with the "
			    "public tree; choose another name",
			    p.cfg->envs[i].file, p.cfg->envs[i].line,
			    p.cfg->envs[i].name);
	/* One promoter per state: held until exit. */
	lockpath = fs_join(p.cfg->state_dir, "promoter.lock");
	if ((lockfd = fs_lock(lockpath, 0, &err)) == -1)
		fatalx("%s%s", dp_error_str(&err), err.code == DP_ERR_BUSY ?
		    " (another debpipe-promoter runs on this State-Dir)" : "");
	free(lockpath);
	if (promoter_tokens(&p, p.cfg, &p.tokens, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	if (p.tokens == NULL)
		log_warnx("no Tokens-File: the API is read-only");
	if (p.cfg->hooks_file != NULL &&
	    hooks_load(p.cfg->hooks_file, &p.hooks, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	if (hooks_init(p.db, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	p.serve_public = p.cfg->serve_public;
	if ((p.public_real = realpath(p.cfg->public_dir, NULL)) == NULL)
		fatal("Public-Dir %s", p.cfg->public_dir);
	p.serve_prefix = promoter_url_path(p.cfg->public_url);
	if (strcmp(p.serve_prefix, "/api") == 0 ||
	    strncmp(p.serve_prefix, "/api/", 5) == 0 ||
	    strcmp(p.serve_prefix, "/metrics") == 0)
		fatalx("Public-URL path %s collides with the API",
		    p.serve_prefix);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("cannot initialise libcurl");

	p.db_path = config_db_path(p.cfg);
	/*
	 * WAL checkpoints write and sync the database file: done by the
	 * committing connection they stall a request (and promoter.lock)
	 * for milliseconds every few hundred results.  The main thread
	 * checkpoints on a connection of its own after each tick instead.
	 */
	if (!d.once && db_open(p.db_path, &ckdb, &err) == 0)
		sqlite3_wal_autocheckpoint(db_handle(p.db), 0);
	else if (!d.once)
		log_warnx("checkpoint connection: %s", dp_error_str(&err));
	promoter_tick(&p, 0);
	/* Environment moves to object storage (Publish-To:), in the
	 * background; ckdb is the main thread's own connection. */
	remote = remote_sched_new(d.config_path);

	if (d.once) {
		notify_run_once(&p);
		remote_sched_tick(remote, p.db, p.cfg);
		goto stop;
	}

	if (notify_start(&p, &notifier) == -1)
		fatal("cannot start the notification thread");
	if ((mhd = http_start(&p, p.cfg->listen, &err)) == NULL)
		fatalx("%s", dp_error_str(&err));
	log_info("listening on %s%s%s", p.cfg->listen != NULL ?
	    p.cfg->listen : "127.0.0.1:8742",
	    p.serve_public ? ", serving the public tree at " : "",
	    p.serve_public ? (p.serve_prefix[0] != '\0' ? p.serve_prefix :
	    "/") : "");

	for (;;) {
		ev = daemon_wait(&d, -1, 1000);
		if (ev == DAEMON_EV_TERM)
			break;
		if (ev == DAEMON_EV_HUP)
			promoter_reload(&p, d.config_path);
		promoter_tick(&p, ++ticks % HEARTBEAT_EVERY == 0);
		if (ckdb != NULL)
			remote_sched_tick(remote, ckdb, p.cfg);
		if (ckdb != NULL)
			promoter_checkpoint(ckdb);
	}

	http_stop(mhd);
	pthread_mutex_lock(&p.lock);
	p.stopping = 1;
	pthread_cond_broadcast(&p.notify_cond);
	pthread_mutex_unlock(&p.lock);
	pthread_join(notifier, NULL);
stop:
	remote_sched_free(remote);
	if (ckdb != NULL) {
		sqlite3_wal_autocheckpoint(db_handle(p.db), 1000);
		db_close(ckdb);
	}
	curl_global_cleanup();
	tokens_free(p.tokens);
	hooks_free(p.hooks);
	config_free(p.cfg);
	free(p.public_real);
	free(p.serve_prefix);
	free(p.db_path);
	daemon_stop(&d);
	close(lockfd);
	return 0;
}
