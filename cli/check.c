/*
 * cli/check.c - debpipe check run ID [JOB...] | list [ID] | retry ID [JOB]:
 * the built-in checks of a snapshot (installability, autopkgtest,
 * upgrade).  `run` runs them here and now (and records their results
 * like the snapshotter would); `retry` queues them for the snapshotter.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "db-results.h"
#include "db-snapshots.h"
#include "result.h"

static void
check_usage(FILE *f)
{
	fprintf(f, "usage: debpipe check run ID|latest [JOB...]\n"
	    "       debpipe check list [ID] [--json]\n"
	    "       debpipe check retry ID [JOB]\n"
	    "\n"
	    "JOB is installability, autopkgtest or upgrade (default: the ones "
	    "an\nenvironment Requires).  run exits 0 when every check "
	    "passed (success or\nneutral), 1 otherwise.\n");
}

/* "latest" -> the newest published snapshot (caller frees). */
static char *
resolve_id(struct cli *c, const char *arg)
{
	struct dp_error	 err;
	char		*id = NULL;

	if (strcmp(arg, "latest") != 0)
		return strdup(arg);
	if (db_snapshot_newest(c->db, &id, NULL, &err) == -1)
		id = NULL;
	if (id == NULL)
		cli_err("no published snapshot");
	return id;
}

static int
check_cmd_run(struct cli *c, int argc, char **argv)
{
	static const char *const all[] = { CHECK_INSTALLABILITY,
	    CHECK_AUTOPKGTEST, CHECK_UPGRADE, NULL };
	struct dp_error	 err;
	const char	*res;
	char		*id;
	int		 i, n = 0, rc = EXIT_OK;

	if (argc < 2) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1)
		return EXIT_FAIL;
	for (i = 2; i < argc; i++)
		if (!check_builtin(argv[i])) {
			cli_err("no built-in check %s (installability, "
			    "autopkgtest or upgrade)", argv[i]);
			return EXIT_USAGE;
		}
	if ((id = resolve_id(c, argv[1])) == NULL)
		return EXIT_FAIL;
	for (i = 0; all[i] != NULL; i++) {
		int j, want = argc == 2 && check_enabled(c->cfg, all[i]);

		for (j = 2; j < argc; j++)
			if (strcmp(argv[j], all[i]) == 0)
				want = 1;
		if (!want)
			continue;
		n++;
		if (check_run(c->db, c->cfg, id, all[i], &res, &err) == -1) {
			cli_err("check %s of %s: %s", all[i], id,
			    dp_error_str(&err));
			rc = EXIT_FAIL;
			continue;
		}
		printf("%s %s %s\n", id, all[i], res);
		if (!result_passes(res))
			rc = EXIT_FAIL;
	}
	if (n == 0)
		printf("no built-in check is required by an environment (name "
		    "the JOB to run one)\n");
	free(id);
	return rc;
}

struct check_list {
	int	 json;
	json_t	*arr;
};

static void
check_list_cb(void *arg, const struct db_check *k)
{
	struct check_list	*cl = arg;

	if (cl->json)
		json_array_append_new(cl->arr, json_pack("{s:s,s:s,s:s,s:i,"
		    "s:s,s:s,s:s,s:s}", "snapshot", k->snapshot, "job", k->job,
		    "state", k->state, "attempts", k->attempts, "result",
		    k->result, "message", k->message, "finished", k->finished,
		    "next_try", k->next_try));
	else
		printf("%s %-14s %-8s %-8s %s\n", k->snapshot, k->job,
		    k->state, *k->result != '\0' ? k->result : "-",
		    k->message);
}

static int
check_cmd_list(struct cli *c, int argc, char **argv)
{
	struct dp_error	 err;
	json_t		*arr = json_array();
	struct check_list cl = { c->json, arr };
	char		*id = NULL;
	int		 rc = EXIT_FAIL;

	if (cli_open_db(c) == -1)
		goto out;
	if (argc > 1 && (id = resolve_id(c, argv[1])) == NULL)
		goto out;
	if (db_check_list(c->db, id, check_list_cb, &cl, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		goto out;
	}
	if (c->json) {
		char *s = json_dumps(json_pack("{s:O}", "checks", arr),
		    JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	}
	rc = EXIT_OK;
out:
	json_decref(arr);
	free(id);
	return rc;
}

static int
check_cmd_retry(struct cli *c, int argc, char **argv)
{
	struct dp_error	 err;
	char		*id;

	if (argc < 2 || (argc > 2 && !check_builtin(argv[2]))) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1 || (id = resolve_id(c, argv[1])) == NULL)
		return EXIT_FAIL;
	if (check_requeue(c->db, c->cfg, id, argc > 2 ? argv[2] : NULL,
	    &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		free(id);
		return EXIT_FAIL;
	}
	printf("queued the checks of %s\n", id);
	free(id);
	return EXIT_OK;
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		check_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return check_cmd_run(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return check_cmd_list(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "retry") == 0)
		return check_cmd_retry(c, argc - 1, argv + 1);
	cli_err("unknown check command %s", argv[1]);
	check_usage(stderr);
	return EXIT_USAGE;
}
