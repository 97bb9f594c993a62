/*
 * check-int.h - what the check modules (check-*.c) share: package lists
 * read from Packages files, with name indexes.  Not for other modules.
 */
#ifndef DEBPIPE_CHECK_INT_H
#define DEBPIPE_CHECK_INT_H

#include <stddef.h>

#include "error.h"
#include "xmalloc.h"

struct check_ctx;
struct conf_dist;

struct cpkg {
	char	*name;
	char	*version;
	char	*arch;
	char	*source;	/* Source: name, default = name */
	char	*srcver;	/* its version, default = version */
	char	*stanza;	/* the fields dose needs, as deb822 text */
	char	**deps;		/* names in Depends/Pre-Depends (every
				   alternative), NULL-terminated */
	char	**provides;	/* names in Provides */
	int	 essential;
	int	 fg;		/* from the snapshot (else background) */
	int	 mark;		/* scratch */
};

/* A name and a package that has it (as Package, Provides or a dep). */
struct cname {
	const char	*name;
	size_t		 idx;
};

struct cpkgs {
	struct cpkg	*v;
	size_t		 n, cap;
	struct cname	*prov;		/* name/provides -> package */
	size_t		 nprov;
	struct cname	*rdep;		/* dep name -> package depending */
	size_t		 nrdep;
};

/* Append the stanzas of a Packages file.  0 or -1. */
int	 cpkgs_load(struct cpkgs *l, const char *path, int fg,
	    struct dp_error *err);
/* Append the Packages files of snapshot id (NULL: the one checked),
 * distribution d, architecture arch, every component (as fg).  0 or -1. */
int	 cpkgs_load_dist(struct cpkgs *l, const struct check_ctx *c,
	    const char *id, const struct conf_dist *d, const char *arch,
	    struct dp_error *err);
/* Build the prov and rdep indexes (after the last load). */
void	 cpkgs_index(struct cpkgs *l);
/* Range [*lo, *hi) of entries of idx (prov or rdep) named name. */
void	 cpkgs_find(const struct cname *v, size_t n, const char *name,
	    size_t *lo, size_t *hi);
void	 cpkgs_done(struct cpkgs *l);

/* The package names of a dependency field ("a (>= 1) | b:any, c"). */
char	**cpkgs_dep_names(const char *field);

#endif
