/*
 * version.h - Debian versions, package and architecture names.
 *
 * The only module that talks to libdpkg: versions are parsed and compared
 * with dpkg's own code (parseversion, dpkg_version_compare), so debpipe
 * orders packages exactly as apt and dpkg do.
 */
#ifndef DEBPIPE_VERSION_H
#define DEBPIPE_VERSION_H

#include "error.h"

struct version {
	unsigned int	 epoch;
	char		*upstream;	/* never NULL after version_parse */
	char		*revision;	/* "" when there is none */
};

/* Parse s.  On success fill *v (free with version_done).  An invalid
 * version (empty, embedded space, bad epoch, upstream not starting with a
 * digit, invalid character...) is DP_ERR_INVALID with dpkg's reason. */
int	 version_parse(const char *s, struct version *v, struct dp_error *err);
void	 version_done(struct version *v);
/* version_parse without keeping the result. */
int	 version_validate(const char *s, struct dp_error *err);

/* <0, 0, >0 as dpkg --compare-versions.  An unparsable version sorts
 * before every valid one (two unparsable ones compare with strcmp). */
int	 version_compare(const char *a, const char *b);

/* The version without its "epoch:" (pointer into s), as in file names. */
const char *version_noepoch(const char *s);

/* Package (and source) names per Debian policy 5.6.1:
 * [a-z0-9][a-z0-9+.-]+, plus no "..".  0 or -1 (DP_ERR_INVALID). */
int	 version_name_validate(const char *name, struct dp_error *err);

/* Architecture names (dpkg's rules: "amd64", "all", "any", "linux-any"
 * ...; [a-z0-9-] only).  0 or -1 (DP_ERR_INVALID). */
int	 version_arch_validate(const char *arch, struct dp_error *err);

#endif
