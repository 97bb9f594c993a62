/*
 * snapshot-promote - the CI side of promotion (DESIGN.md "Commands"):
 *
 *   snapshot-promote report ID --job NAME --result success|failure [--url URL]
 *   snapshot-promote promote ID --to ENV [--force --reason TEXT]
 *   snapshot-promote rollback ENV [--to ID] [--reason TEXT]
 *   snapshot-promote status [ID]
 *   snapshot-promote wait ID --env ENV [--timeout 1h] [--interval 5s]
 *
 * Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 the server
 * could not be reached; wait: 0 reached, 1 blocked, 124 timed out.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "promoter.h"
#include "xmalloc.h"

#define PROG		"snapshot-promote"
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_UNREACH	3
#define EXIT_TIMEOUT	124

enum {
	OPT_JOB = 1 << 0,
	OPT_RESULT = 1 << 1,
	OPT_URL = 1 << 2,
	OPT_TO = 1 << 3,
	OPT_FORCE = 1 << 4,
	OPT_REASON = 1 << 5,
	OPT_ENV = 1 << 6,
	OPT_TIMEOUT = 1 << 7,
	OPT_INTERVAL = 1 << 8,
};

/* Names of the OPT_* bits, in bit order. */
static const char *const optnames[] = {
	"job", "result", "url", "to", "force", "reason", "env", "timeout",
	"interval", NULL
};

struct opts {
	struct client	 c;
	int		 json;
	int		 help;
	int		 seen;		/* OPT_* given */
	const char	*job, *result, *url, *to, *reason, *env;
	int		 force;
	long		 timeout, interval;
};

static const struct cmd {
	const char	*name;
	int		 allowed;
	int		 nargs_min, nargs_max;
	const char	*usage;
} cmds[] = {
	{ "report", OPT_JOB | OPT_RESULT | OPT_URL, 1, 1,
	  "report ID --job NAME --result success|failure [--url URL]\n"
	  "    record a CI job's result for snapshot ID (role reporter)" },
	{ "promote", OPT_TO | OPT_FORCE | OPT_REASON, 1, 1,
	  "promote ID --to ENV [--force --reason TEXT]\n"
	  "    move ENV to snapshot ID; without --force only when the rules\n"
	  "    allow it (role reporter), with --force regardless (role admin)" },
	{ "rollback", OPT_TO | OPT_REASON, 1, 1,
	  "rollback ENV [--to ID] [--reason TEXT]\n"
	  "    move ENV back to its previous snapshot, or to ID (role admin)" },
	{ "status", 0, 0, 1,
	  "status [ID]\n"
	  "    environments and snapshots, or one snapshot in detail" },
	{ "wait", OPT_ENV | OPT_TIMEOUT | OPT_INTERVAL, 1, 1,
	  "wait ID --env ENV [--timeout 1h] [--interval 5s]\n"
	  "    wait until snapshot ID reaches ENV: exit 0 when it did, 1 when\n"
	  "    a failure blocks it (or ENV went past it), 124 on timeout" },
	{ NULL, 0, 0, 0, NULL },
};

static void
err_print(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f, const struct cmd *only)
{
	const struct cmd	*c;

	if (only != NULL) {
		fprintf(f, "usage: " PROG " [options] %s\n", only->usage);
	} else {
		fprintf(f, "usage: " PROG " [options] COMMAND ARGS\n\n");
		for (c = cmds; c->name != NULL; c++)
			fprintf(f, "  %s\n", c->usage);
	}
	fprintf(f, "\noptions:\n"
	    "  --server URL       the promoter (default $DEBPIPE_URL or "
	    "http://127.0.0.1:8742)\n"
	    "  --token-file FILE  bearer token (default $DEBPIPE_TOKEN)\n"
	    "  --json             machine-readable output\n"
	    "  --help             this help\n"
	    "\nexit status: 0 ok, 1 refused or failed, 2 usage, 3 server "
	    "unreachable\n");
}

#define print_json(j)	sp_print_json(stdout, (j))
#define jget		sp_jget

/* Do a request; map the outcome to an exit status (*reply kept on 2xx). */
static int
request(struct opts *o, const char *method, const char *path, json_t *body,
    json_t **reply)
{
	struct dp_error	 err;
	long		 status;
	json_t		*r = NULL;

	*reply = NULL;
	if (client_request(&o->c, method, path, body, &status, &r,
	    &err) == -1) {
		err_print("cannot reach the promoter: %s", dp_error_str(&err));
		return EXIT_UNREACH;
	}
	if (status < 200 || status > 299) {
		if (o->json && r != NULL)
			print_json(r);
		err_print("%s", client_error(r, status));
		json_decref(r);
		return EXIT_FAIL;
	}
	*reply = r;
	return EXIT_OK;
}

static int
cmd_report(struct opts *o, char **args)
{
	json_t	*body, *r;
	char	*path;
	int	 rv;

	if (o->job == NULL || o->result == NULL) {
		err_print("report needs --job NAME and --result "
		    "success|failure");
		return EXIT_USAGE;
	}
	if (strcmp(o->result, "success") != 0 &&
	    strcmp(o->result, "failure") != 0) {
		err_print("--result must be success or failure, not '%s'",
		    o->result);
		return EXIT_USAGE;
	}
	body = json_pack("{s:s, s:s}", "job", o->job, "result", o->result);
	if (body == NULL) {
		err_print("--job must be valid UTF-8");
		return EXIT_USAGE;
	}
	if (o->url != NULL)
		json_object_set_new(body, "url", util_jstr(o->url));
	path = xasprintf("/api/v1/snapshots/%s/results", args[0]);
	rv = request(o, "POST", path, body, &r);
	if (rv == EXIT_OK) {
		if (o->json)
			print_json(r);
		else {
			printf("%s: %s=%s recorded\n", args[0], o->job,
			    o->result);
			sp_print_promotion(stdout, r);
		}
	}
	json_decref(r);
	json_decref(body);
	free(path);
	return rv;
}

static int
cmd_promote(struct opts *o, char **args)
{
	json_t	*body, *r;
	char	*path, *env;
	int	 rv;

	if (o->to == NULL) {
		err_print("promote needs --to ENV");
		return EXIT_USAGE;
	}
	if (o->force && (o->reason == NULL || *o->reason == '\0')) {
		err_print("--force needs --reason TEXT (recorded in the audit "
		    "log)");
		return EXIT_USAGE;
	}
	if (!util_name_ok(o->to)) {
		err_print("bad environment name '%s'", o->to);
		return EXIT_USAGE;
	}
	body = json_pack("{s:o, s:b}", "snapshot", util_jstr(args[0]),
	    "force", o->force);
	if (o->reason != NULL)
		json_object_set_new(body, "reason", util_jstr(o->reason));
	env = util_url_escape(o->to);
	path = xasprintf("/api/v1/environments/%s/promote", env);
	rv = request(o, "POST", path, body, &r);
	if (rv == EXIT_OK) {
		if (o->json)
			print_json(r);
		else
			sp_print_promote(stdout, o->to, o->force, r);
	}
	json_decref(r);
	json_decref(body);
	free(path);
	free(env);
	return rv;
}

static int
cmd_rollback(struct opts *o, char **args)
{
	json_t	*body, *r;
	char	*path, *env;
	int	 rv;

	if (!util_name_ok(args[0])) {
		err_print("bad environment name '%s'", args[0]);
		return EXIT_USAGE;
	}
	body = json_object();
	if (o->to != NULL)
		json_object_set_new(body, "snapshot", util_jstr(o->to));
	if (o->reason != NULL)
		json_object_set_new(body, "reason", util_jstr(o->reason));
	env = util_url_escape(args[0]);
	path = xasprintf("/api/v1/environments/%s/rollback", env);
	rv = request(o, "POST", path, body, &r);
	if (rv == EXIT_OK) {
		if (o->json)
			print_json(r);
		else
			sp_print_rollback(stdout, args[0], r);
	}
	json_decref(r);
	json_decref(body);
	free(path);
	free(env);
	return rv;
}

static int
cmd_status(struct opts *o, char **args)
{
	json_t	*envs = NULL, *snaps = NULL;
	char	*path;
	int	 rv;

	if (args[0] != NULL) {
		path = xasprintf("/api/v1/snapshots/%s", args[0]);
		rv = request(o, "GET", path, NULL, &snaps);
		free(path);
		if (rv != EXIT_OK)
			return rv;
		if (o->json) {
			print_json(snaps);
			json_decref(snaps);
			return EXIT_OK;
		}
		sp_print_snapshot(stdout, snaps);
		json_decref(snaps);
		return EXIT_OK;
	}
	if ((rv = request(o, "GET", "/api/v1/environments", NULL, &envs)) !=
	    EXIT_OK)
		return rv;
	if ((rv = request(o, "GET", "/api/v1/snapshots", NULL, &snaps)) !=
	    EXIT_OK) {
		json_decref(envs);
		return rv;
	}
	sp_print_status(stdout, envs, snaps, o->json);
	json_decref(envs);
	json_decref(snaps);
	return EXIT_OK;
}

static int
cmd_wait(struct opts *o, char **args)
{
	struct dp_error	 err;
	json_t		*r = NULL, *found;
	const char	*state;
	char		*path;
	long		 status;
	time_t		 end;
	enum sp_wait	 ws;
	int		 rv = EXIT_TIMEOUT, unreachable = 0;

	if (o->env == NULL) {
		err_print("wait needs --env ENV");
		return EXIT_USAGE;
	}
	end = time(NULL) + o->timeout;
	path = xasprintf("/api/v1/snapshots/%s", args[0]);
	for (;;) {
		json_decref(r);
		r = NULL;
		if (client_request(&o->c, "GET", path, NULL, &status, &r,
		    &err) == -1) {
			/* A restarting promoter is not a reason to give up. */
			unreachable = 1;
			if (time(NULL) >= end) {
				err_print("cannot reach the promoter: %s",
				    dp_error_str(&err));
				rv = EXIT_UNREACH;
				break;
			}
			goto next;
		}
		unreachable = 0;
		if (status < 200 || status > 299) {
			err_print("%s", client_error(r, status));
			rv = EXIT_FAIL;
			break;
		}
		ws = sp_wait_state(r, o->env, &found);
		if (ws == SP_WAIT_NOENV) {
			err_print("no environment %s", o->env);
			rv = EXIT_FAIL;
			break;
		}
		state = jget(found, "state");
		if (ws == SP_WAIT_REACHED) {
			if (o->json)
				print_json(found);
			else
				printf("%s reached %s\n", args[0], o->env);
			rv = EXIT_OK;
			break;
		}
		if (ws == SP_WAIT_BLOCKED) {
			if (o->json)
				print_json(found);
			err_print("%s will not reach %s: %s", args[0], o->env,
			    jget(found, "detail"));
			rv = EXIT_FAIL;
			break;
		}
		if (time(NULL) >= end) {
			if (o->json)
				print_json(found);
			err_print("timed out waiting for %s to reach %s (%s: "
			    "%s)", args[0], o->env, state,
			    jget(found, "detail"));
			rv = EXIT_TIMEOUT;
			break;
		}
next:
		sleep((unsigned int)(o->interval > 0 ? o->interval : 1));
	}
	(void)unreachable;
	json_decref(r);
	free(path);
	return rv;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "job", required_argument, NULL, 'j' },
		{ "result", required_argument, NULL, 'r' },
		{ "url", required_argument, NULL, 'u' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'R' },
		{ "env", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "interval", required_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts		 o;
	const struct cmd	*cmd = NULL;
	const char		*server = NULL, *tokfile = NULL, *env;
	struct dp_error		 err;
	char			**args;
	size_t			 len;
	int			 ch, nargs, rv, bad, i;

	memset(&o, 0, sizeof(o));
	o.timeout = 3600;
	o.interval = 5;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'k': tokfile = optarg; break;
		case 'J': o.json = 1; break;
		case 'h': o.help = 1; break;
		case 'j': o.job = optarg; o.seen |= OPT_JOB; break;
		case 'r': o.result = optarg; o.seen |= OPT_RESULT; break;
		case 'u': o.url = optarg; o.seen |= OPT_URL; break;
		case 't': o.to = optarg; o.seen |= OPT_TO; break;
		case 'F': o.force = 1; o.seen |= OPT_FORCE; break;
		case 'R': o.reason = optarg; o.seen |= OPT_REASON; break;
		case 'e': o.env = optarg; o.seen |= OPT_ENV; break;
		case 'T':
			o.seen |= OPT_TIMEOUT;
			if (config_parse_duration(optarg, &o.timeout) == -1 ||
			    o.timeout < 0) {
				err_print("--timeout %s: expected a duration "
				    "such as 90s, 30m or 1h", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'i':
			o.seen |= OPT_INTERVAL;
			if (config_parse_duration(optarg, &o.interval) == -1 ||
			    o.interval < 1) {
				err_print("--interval %s: expected a duration "
				    "of at least 1s", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'V':
			printf(PROG " %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case ':':
			err_print("option %s needs a value", argv[optind - 1]);
			usage(stderr, NULL);
			return EXIT_USAGE;
		default:
			err_print("unknown option %s", argv[optind - 1]);
			usage(stderr, NULL);
			return EXIT_USAGE;
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (nargs > 0)
		for (cmd = cmds; cmd->name != NULL; cmd++)
			if (strcmp(cmd->name, args[0]) == 0)
				break;
	if (o.help) {
		usage(stdout, cmd != NULL && cmd->name != NULL ? cmd : NULL);
		return EXIT_OK;
	}
	if (nargs == 0) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (cmd->name == NULL) {
		err_print("unknown command '%s'", args[0]);
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	args++;
	nargs--;
	if (nargs < cmd->nargs_min || nargs > cmd->nargs_max) {
		err_print("%s: wrong number of arguments", cmd->name);
		usage(stderr, cmd);
		return EXIT_USAGE;
	}
	if ((bad = o.seen & ~cmd->allowed) != 0) {
		for (i = 0; optnames[i] != NULL; i++)
			if (bad & (1 << i))
				break;
		err_print("%s does not take --%s", cmd->name,
		    optnames[i] != NULL ? optnames[i] : "?");
		usage(stderr, cmd);
		return EXIT_USAGE;
	}
	if (o.force && strcmp(cmd->name, "promote") != 0) {
		err_print("--force is for promote only");
		return EXIT_USAGE;
	}

	if (server == NULL && (server = getenv("DEBPIPE_URL")) == NULL)
		server = "http://127.0.0.1:8742";
	o.c.server = xstrdup(server);
	len = strlen(o.c.server);
	while (len > 0 && o.c.server[len - 1] == '/')
		o.c.server[--len] = '\0';
	if (tokfile != NULL) {
		if (client_token_file(tokfile, &o.c.token, &err) == -1) {
			err_print("%s", dp_error_str(&err));
			return EXIT_USAGE;
		}
	} else if ((env = getenv("DEBPIPE_TOKEN")) != NULL && *env != '\0')
		o.c.token = xstrdup(env);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		err_print("cannot initialise libcurl");
		return EXIT_FAIL;
	}
	if (strcmp(cmd->name, "report") == 0)
		rv = cmd_report(&o, args);
	else if (strcmp(cmd->name, "promote") == 0)
		rv = cmd_promote(&o, args);
	else if (strcmp(cmd->name, "rollback") == 0)
		rv = cmd_rollback(&o, args);
	else if (strcmp(cmd->name, "status") == 0)
		rv = cmd_status(&o, args);
	else
		rv = cmd_wait(&o, args);
	curl_global_cleanup();
	free(o.c.server);
	free(o.c.token);
	return rv;
}
