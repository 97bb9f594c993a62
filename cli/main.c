/* cli/main.c - the debpipe admin command: global options and dispatch. */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

static const struct command {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*help;
} commands[] = {
	{ "status",	cmd_status,	"daemons, watches, builds, snapshots, environments" },
	{ "watch",	cmd_watch,	"list | check NAME [--dry-run]" },
	{ "build",	cmd_build,	"NAME: queue a build/import now" },
	{ "builds",	cmd_builds,	"[--failed]: recent builds" },
	{ "log",	cmd_log,	"BUILD-ID: the log of a build" },
	{ "add",	cmd_add,	"FILE.deb|FILE.dsc ... --dist D [--component C]" },
	{ "snapshot",	cmd_snapshot,	"now | list | show ID | diff ID1 ID2" },
	{ "key",	cmd_key,	"init | export: the archive signing key" },
	{ "chroot",	cmd_chroot,	"create|update|list|remove [DIST] [--arch A]: build chroots" },
	{ "publish",	cmd_publish,	"sync|verify [TARGET]: object storage (Publish-To:)" },
	{ "gc",		cmd_gc,		"[--dry-run]: remove old snapshots and pool files" },
	{ "check",	cmd_check,	"run ID [JOB] | list [ID] | retry ID: built-in checks" },
	{ NULL, NULL, NULL },
};

void
cli_err(const char *fmt, ...)
{
	va_list ap;
	char	msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dp_error_msg_nospace_first(msg, sizeof(msg));
	fprintf(stderr, "debpipe: %s\n", msg);
}

int
cli_load_config(struct cli *c)
{
	struct dp_error err;

	if (c->cfg != NULL)
		return 0;
	if (config_load(c->config_path, &c->cfg, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		return -1;
	}
	return 0;
}

int
cli_drop_to_user(struct cli *c)
{
	struct passwd	*pw;

	if (cli_load_config(c) == -1)
		return -1;
	if (geteuid() != 0 || c->cfg->user == NULL)
		return 0;
	if ((pw = getpwnam(c->cfg->user)) == NULL) {
		cli_err("User: %s (from %s) does not exist: create it (adduser "
		    "--system --group %s) or remove User:", c->cfg->user,
		    c->cfg->path, c->cfg->user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		cli_err("cannot switch to user %s: %s", c->cfg->user,
		    strerror(errno));
		return -1;
	}
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	return 0;
}

int
cli_open_db(struct cli *c)
{
	struct dp_error	 err;
	char		*path;
	int		 rv;

	if (c->db != NULL)
		return 0;
	if (cli_drop_to_user(c) == -1)
		return -1;
	if (fs_mkdirs(c->cfg->state_dir, 0750, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		return -1;
	}
	path = config_db_path(c->cfg);
	rv = db_open(path, &c->db, &err);
	free(path);
	if (rv == -1)
		cli_err("%s", dp_error_str(&err));
	return rv;
}

static void
usage(FILE *f)
{
	const struct command *cmd;

	fprintf(f, "usage: debpipe [--config FILE] [--json] [-v] COMMAND [ARGS]\n"
	    "\ncommands:\n");
	for (cmd = commands; cmd->name != NULL; cmd++)
		fprintf(f, "  %-9s %s\n", cmd->name, cmd->help);
	fprintf(f, "\noptions:\n"
	    "  -c, --config FILE   configuration (default $DEBPIPE_CONFIG or\n"
	    "                      /etc/debpipe/debpipe.conf)\n"
	    "      --json          machine-readable output\n"
	    "  -v, --verbose       more output\n"
	    "  -h, --help          this help (COMMAND --help for a command)\n"
	    "  -V, --version       print the version\n"
	    "\nexit status: 0 success, 1 refused or failed, 2 bad usage,\n"
	    "3 server unreachable.  See debpipe(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command	*cmd;
	struct cli		 c;
	const char		*cfgarg = NULL;
	int			 ch, rv, i;

	memset(&c, 0, sizeof(c));
	log_init("debpipe", 1);
	/* Global options stop at the first non-option (the command). */
	while ((ch = getopt_long(argc, argv, "+c:jvhV", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c':
			cfgarg = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'v':
			c.verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("debpipe %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c.config_path = config_path(cfgarg);
	log_setverbose(c.verbose);
	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL) {
		cli_err("unknown command '%s' (try debpipe --help)",
		    argv[optind]);
		return EXIT_USAGE;
	}
	/* Accept --json and --config after the command too: pull them out
	 * so every subcommand sees only its own arguments. */
	argc -= optind;
	argv += optind;
	for (i = 1; i < argc; i++) {
		int drop = 0;

		if (strcmp(argv[i], "--json") == 0) {
			c.json = 1;
			drop = 1;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			c.config_path = config_path(argv[i + 1]);
			drop = 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = config_path(argv[i] + 9);
			drop = 1;
		} else if (strcmp(argv[i], "--") == 0)
			break;
		if (drop) {
			memmove(&argv[i], &argv[i + drop],
			    (size_t)(argc - i - drop + 1) * sizeof(*argv));
			argc -= drop;
			i--;
		}
	}
	optind = 0;	/* reset getopt for the subcommand */
	rv = cmd->fn(&c, argc, argv);
	db_close(c.db);
	config_free(c.cfg);
	return rv;
}
