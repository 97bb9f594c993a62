/*
 * cli.h - the debpipe admin command.
 *
 * cli/main.c parses the global options (--config F, --json, -v, --help,
 * --version) and dispatches to cmd_<name>(c, argc, argv) with argv[0] the
 * subcommand name.  Exit codes (DESIGN.md): 0 success, 1 refused/failed,
 * 2 bad usage, 3 server unreachable.  Errors go to stderr as
 * "debpipe: message" through cli_err().
 */
#ifndef DEBPIPE_CLI_H
#define DEBPIPE_CLI_H

#include <jansson.h>

#include "config.h"
#include "db.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_UNREACH	3

struct cli {
	const char	*config_path;	/* resolved path of the configuration */
	int		 json;		/* --json */
	int		 verbose;
	struct config	*cfg;		/* loaded by cli_load_config */
	struct db	*db;		/* opened by cli_open_db */
};

/* Print "debpipe: msg" on stderr. */
void	cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Load c->cfg (prints the error and returns -1 on failure). */
int	cli_load_config(struct cli *c);
/* When run as root and the configuration names User:, become that user
 * (so that files in State-Dir and Public-Dir keep the daemons' owner).
 * Prints the error and returns -1. */
int	cli_drop_to_user(struct cli *c);
/* Load config if needed, become User: (cli_drop_to_user), then open c->db
 * read-write (creating State-Dir as needed).  Prints the error, -1. */
int	cli_open_db(struct cli *c);

/* Subcommands; each in cli/<name>.c. */
int	cmd_status(struct cli *, int, char **);
int	cmd_add(struct cli *, int, char **);		/* cli/add.c (pool) */
int	cmd_snapshot(struct cli *, int, char **);	/* cli/snapshot.c */
int	cmd_key(struct cli *, int, char **);		/* cli/key.c */
int	cmd_gc(struct cli *, int, char **);		/* cli/gc.c */
int	cmd_publish(struct cli *, int, char **);	/* cli/publish.c */
int	cmd_watch(struct cli *, int, char **);		/* cli/watch.c */
int	cmd_build(struct cli *, int, char **);		/* cli/watch.c */
int	cmd_builds(struct cli *, int, char **);		/* cli/watch.c */
int	cmd_log(struct cli *, int, char **);		/* cli/watch.c */
int	cmd_chroot(struct cli *, int, char **);		/* cli/chroot.c */
/* Each Distribution's chroot (only: one), for chroot list and status. */
json_t	*cli_chroots_json(struct cli *, const struct conf_dist *only,
	    const char *arch);
void	 cli_chroots_print(json_t *, const char *indent);
int	cmd_check(struct cli *, int, char **);		/* cli/check.c */

#endif
