/* t-db.c - the state database: creation, schema version, transactions,
 * concurrent writers, errors for a missing state directory. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "fsutil.h"
#include "xmalloc.h"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/t-db.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

/* The integer sql answers is want. */
static void
query_is(struct db *db, const char *sql, int64_t want)
{
	struct dp_error	err;
	int64_t		v = -1;

	assert_int_equal(db_query_int(db, sql, &v, &err), 0);
	assert_int_equal(v, want);
}

static void
test_create_and_version(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	query_is(db, "PRAGMA user_version", DB_SCHEMA_VERSION);
	query_is(db, "PRAGMA foreign_keys", 1);
	db_close(db);
	/* Reopening migrates nothing and keeps the version. */
	assert_int_equal(db_open(path, &db, &err), 0);
	query_is(db, "PRAGMA user_version", DB_SCHEMA_VERSION);
	db_close(db);
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

static void
test_newer_schema_refused(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	assert_int_equal(db_exec(db, "PRAGMA user_version = 99", &err), 0);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(path, &db, &err), -1);
	assert_null(db);
	assert_non_null(strstr(err.msg, "newer"));
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

/* A version 1 database (three-column packages_by_name) is migrated: the
 * index gains the version and the rows stay. */
static void
test_migrate_from_1(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	assert_int_equal(db_exec(db, "DROP INDEX packages_by_name;"
	    "CREATE INDEX packages_by_name ON packages(dist, component, "
	    "arch, name);"
	    "INSERT INTO files(id, path, size, md5, sha1, sha256, added) "
	    "VALUES (1, 'main/h/hello/hello_1_all.deb', 1, 'm', 's', 'S', "
	    "'now');"
	    "INSERT INTO packages(dist, component, name, version, arch, "
	    "source, source_version, file_id, control, added) VALUES ("
	    "'bookworm', 'main', 'hello', '1', 'all', 'hello', '1', 1, "
	    "'Package: hello', 'now');"
	    "PRAGMA user_version = 1", &err), 0);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(path, &db, &err), 0);
	query_is(db, "PRAGMA user_version", DB_SCHEMA_VERSION);
	query_is(db, "SELECT count(*) FROM "
	    "pragma_index_info('packages_by_name') WHERE name = 'version'", 1);
	query_is(db, "SELECT count(*) FROM packages", 1);
	/* Version 7: results may be neutral, still nothing unknown. */
	assert_int_equal(db_exec(db, "INSERT INTO results(snapshot, job, "
	    "result, time) VALUES ('S', 'j', 'neutral', 'now')", &err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO results(snapshot, job, "
	    "result, time) VALUES ('S', 'j', 'maybe', 'now')", &err), -1);
	db_close(db);
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

static void
test_missing_dir(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;

	(void)state;
	assert_int_equal(db_open("/nonexistent/debpipe/state.db", &db, &err),
	    -1);
	assert_null(db);
	assert_non_null(strstr(err.msg, "State-Dir"));
	assert_int_equal(db_open_ro("/nonexistent/state.db", &db, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
}

static void
test_rollback(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");
	int64_t		 n = -1;

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	assert_int_equal(db_begin(db, &err), 0);
	assert_int_equal(db_request_add(db, "snapshot", NULL, &err), 0);
	db_rollback(db);
	assert_int_equal(db_query_int(db, "SELECT count(*) FROM requests", &n,
	    &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_begin(db, &err), 0);
	assert_int_equal(db_request_add(db, "snapshot", NULL, &err), 0);
	assert_int_equal(db_commit(db, &err), 0);
	assert_int_equal(db_query_int(db, "SELECT count(*) FROM requests", &n,
	    &err), 0);
	assert_int_equal(n, 1);
	/* A foreign key violation is refused. */
	assert_int_equal(db_exec(db, "INSERT INTO packages(dist, component, "
	    "name, version, arch, source, source_version, file_id, control, "
	    "added) VALUES ('d','c','n','1','all','n','1',12345,'x','t')",
	    &err), -1);
	db_close(db);
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

/* Four processes write at once: every row lands (busy timeout + WAL). */
static void
test_concurrent_writers(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");
	int64_t		 n = -1;
	int		 i, j, st;
	pid_t		 pids[4];

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	db_close(db);
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			struct db *cdb = NULL;

			if (db_open(path, &cdb, &err) == -1)
				_exit(1);
			for (j = 0; j < 50; j++) {
				if (db_begin(cdb, &err) == -1 ||
				    db_request_add(cdb, "check", "x", &err) == -1
				    || db_commit(cdb, &err) == -1)
					_exit(2);
			}
			db_close(cdb);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(db_open(path, &db, &err), 0);
	assert_int_equal(db_query_int(db, "SELECT count(*) FROM requests", &n,
	    &err), 0);
	assert_int_equal(n, 200);
	assert_int_equal(db_daemon_heartbeat(db, "t", &err), 0);
	assert_int_equal(db_daemon_heartbeat(db, "t", &err), 0);
	assert_int_equal(db_query_int(db, "SELECT count(*) FROM daemons", &n,
	    &err), 0);
	assert_int_equal(n, 1);
	db_close(db);
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

/* The requests and daemons tables through their functions. */
struct seen {
	int	 n;
	int64_t	 last;
	char	 kinds[64];
};

static void
seen_request(int64_t id, const char *kind, const char *arg, void *p)
{
	struct seen *sn = p;

	assert_string_equal(arg, "w1");
	sn->n++;
	sn->last = id;
	strncat(sn->kinds, kind, sizeof(sn->kinds) - strlen(sn->kinds) - 2);
	strcat(sn->kinds, " ");
}

static void
seen_daemon(const char *name, long pid, const char *started,
    const char *heartbeat, long age, void *p)
{
	struct seen *sn = p;

	assert_string_equal(name, "debpipe-builder");
	assert_int_equal(pid, (long)getpid());
	assert_non_null(started);
	assert_non_null(heartbeat);
	assert_true(age >= 0 && age < 60);
	sn->n++;
}

static void
test_requests_daemons(void **state)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	struct seen	 sn;
	char		*dir = tmpdir(), *path = fs_join(dir, "state.db");
	int64_t		 first;
	long		 pid = 0, age = -1;

	(void)state;
	assert_int_equal(db_open(path, &db, &err), 0);
	assert_int_equal(db_request_add(db, "check", "w1", &err), 0);
	first = sqlite3_last_insert_rowid(db_handle(db));
	assert_int_equal(db_request_add(db, "build", "w1", &err), 0);
	assert_int_equal(db_request_add(db, "snapshot", "w1", &err), 0);
	assert_int_equal(db_request_add(db, "snapshot", "w1", &err), 0);
	/* check and build requests, in order; snapshot ones are not. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_request_open(db, 0, seen_request, &sn, &err), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.kinds, "check build ");
	/* after an id: only the later ones */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_request_open(db, first, seen_request, &sn, &err),
	    0);
	assert_int_equal(sn.n, 1);
	assert_int_equal(db_request_answered(db, first, &err), 0);
	assert_int_equal(db_request_done(db, first, &err), 0);
	assert_int_equal(db_request_answered(db, first, &err), 1);
	assert_int_equal(db_request_answered(db, 9999, &err), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_request_open(db, 0, seen_request, &sn, &err), 0);
	assert_int_equal(sn.n, 1);
	assert_int_equal(db_request_done_kind(db, "snapshot", &err), 2);
	assert_int_equal(db_request_done_kind(db, "snapshot", &err), 0);

	assert_int_equal(db_daemon_get(db, "debpipe-builder", &pid, &age,
	    &err), 0);
	assert_int_equal(db_daemon_heartbeat(db, "debpipe-builder", &err), 0);
	assert_int_equal(db_daemon_get(db, "debpipe-builder", &pid, &age,
	    &err), 1);
	assert_int_equal(pid, (long)getpid());
	assert_true(age >= 0 && age < 60);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_daemon_foreach(db, seen_daemon, &sn, &err), 0);
	assert_int_equal(sn.n, 1);
	db_close(db);
	fs_remove_tree(dir, NULL);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_version),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_migrate_from_1),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_requests_daemons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
