/*
 * config-int.h - what config.c, config-value.c and config-watch.c share;
 * not for other modules (they use config.h).
 */
#ifndef DEBPIPE_CONFIG_INT_H
#define DEBPIPE_CONFIG_INT_H

#include <stddef.h>

#include "config.h"
#include "deb822.h"
#include "xmalloc.h"

#define MAX_NAME		100

/* Kinds of values. */
enum kind {
	K_STR,		/* one line of text */
	K_PATH,		/* a path, relative ones resolved */
	K_URL,		/* http:// or https:// URL */
	K_DUR,		/* duration -> long */
	K_BOOL,		/* -> int */
	K_INT,		/* whole number -> int */
	K_NAME,		/* one safe name */
	K_NAMES,	/* list of safe names -> char ** */
	K_LIST,		/* list of words -> char ** */
	K_URLS,		/* list of URLs -> char ** */
	K_TYPE,		/* watch Type: */
	K_MERGE,	/* watch Merge: */
};

/* Watch types as bits, for the fields a type accepts. */
#define T_GIT	(1u << WATCH_GIT)
#define T_APT	(1u << WATCH_APT)
#define T_SRC	(1u << WATCH_APT_SOURCE)
#define T_ALL	(T_GIT | T_APT | T_SRC)

struct fspec {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	long		 min;
	unsigned	 types;		/* watch fields: which types */
	const char	*(*check)(const char *);	/* NULL or why not */
};

/* Loading state. */
struct load {
	struct config	*cfg;
	const char	*file;		/* file being read, for messages */
	char		*dir;		/* its directory (absolute) */
	int		 npara;
	int		 watch_dir_line;
	int		 global_line;
	size_t		 distcap, envcap, watchcap, targetcap;
};

/* Values and field checks (config-value.c). */
const char	*config_check_word(const char *);
const char	*config_check_builder(const char *);
const char	*config_check_listen(const char *);
const char	*config_check_user(const char *);
const char	*config_check_maintainer(const char *);
const char	*config_check_suffix(const char *);
/* A safe name: lower-case letters and digits first, then also ".", "-",
 * "+" (and "_" when allowed); at most MAX_NAME. */
int		 config_name_ok(const char *s, int allow_underscore);
char		*config_value_clean(const char *raw);
int		 config_single_line(const char *v, char **line);
char		**config_split_words(const char *v);
char		*config_path_resolve(const char *dir, const char *v);
/* Stanzas (config.c). */
void		*config_array_grow(void *v, size_t n, size_t *cap, size_t size,
		    size_t first);
int		 config_stanza_key(const char *name);
char		*config_key_name(struct load *ld, const struct deb822_field *f,
		    const char *what, int allow_underscore,
		    struct dp_error *err);

/* Field tables (config-value.c). */
const struct fspec *config_spec_find(const struct fspec *tab,
		    const char *name);
void		 config_fields_known(const struct fspec *tab, unsigned types,
		    const char *unknown, struct buf *b);
int		 config_field_unknown(struct load *ld, const struct fspec *tab,
		    const struct deb822_field *f, const char *what,
		    const char *also, struct dp_error *err);
int		 config_field_set(struct load *ld, const struct fspec *s,
		    const struct deb822_field *f, void *base,
		    struct dp_error *err);

/* Watches (config-watch.c). */
int		 config_merges_parse(struct load *ld,
		    const struct deb822_field *f, const char *v,
		    struct conf_watch *w, struct dp_error *err);
int		 config_watches_load(struct load *ld, struct dp_error *err);

/* Publish-To: stanzas (config-publish.c). */
int		 config_target_load(struct load *ld,
		    const struct deb822_para *para, struct dp_error *err);
void		 config_targets_free(struct config *cfg);

#endif
