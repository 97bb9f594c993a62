/*
 * deb822.h - parser for deb822 paragraphs: debpipe.conf, watch files,
 * DEBIAN/control, .dsc, Packages, Sources, Release.
 *
 * Fields keep their original case and value text.  A multi-line value
 * keeps its lines joined with '\n' with the single leading space of each
 * continuation line removed (so "Description" round-trips when written
 * back with deb822_field_write); a continuation line of " ." stays ".".
 * Field-name lookup is case-insensitive.
 */
#ifndef DEBPIPE_DEB822_H
#define DEBPIPE_DEB822_H

#include <stddef.h>

#include "error.h"
#include "xmalloc.h"

struct deb822_field {
	char	*name;
	char	*value;		/* first line (may be empty) + "\n" + rest */
	int	 line;		/* line of the field name, 1-based */
};

struct deb822_para {
	struct deb822_field	*fields;
	size_t			 nfields;
	int			 line;	/* first line of the paragraph */
};

enum {
	DEB822_COMMENTS = 1 << 0,	/* '#' lines are comments (config) */
	DEB822_PGP	= 1 << 1,	/* accept and skip an OpenPGP clearsign
					   armour around one paragraph (.dsc,
					   InRelease) */
};

/* Called for each paragraph; return 0 to go on, -1 to stop (the parse then
 * fails with whatever the callback put in err). */
typedef int (*deb822_para_cb)(const struct deb822_para *para, void *arg,
    struct dp_error *err);

/* Parse buf (len bytes, need not be NUL-terminated).  fname is used in
 * messages: "fname:line: message".  Errors: a continuation line before any
 * field, a line without ':', an empty field name, a duplicate field in
 * one paragraph. */
int	 deb822_parse(const char *buf, size_t len, const char *fname,
	    int flags, deb822_para_cb cb, void *arg, struct dp_error *err);

/* Parse a file the same way. */
int	 deb822_parse_file(const char *path, int flags, deb822_para_cb cb,
	    void *arg, struct dp_error *err);

/* Case-insensitive lookup; NULL if absent. */
const struct deb822_field *deb822_find(const struct deb822_para *para,
	    const char *name);
const char *deb822_get(const struct deb822_para *para, const char *name);

/* Parse exactly one paragraph (e.g. a control file) into a heap copy that
 * the caller frees with deb822_para_free. */
int	 deb822_parse_one(const char *buf, size_t len, const char *fname,
	    int flags, struct deb822_para **out, struct dp_error *err);
void	 deb822_para_free(struct deb822_para *para);	/* NULL no-op */

/* Append "Name: value\n" with continuation lines re-indented by one
 * space to b. */
void	 deb822_field_write(struct buf *b, const char *name,
	    const char *value);

#endif
