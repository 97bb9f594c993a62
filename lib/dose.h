/*
 * dose.h - the YAML report of dose-distcheck (dose3), parsed with libyaml.
 *
 * dose-distcheck -f -e prints a document like
 *	output-version: 1.2
 *	report:
 *	 -
 *	  package: a
 *	  version: 1.0
 *	  architecture: amd64
 *	  status: broken
 *	  reasons:
 *	   - missing: { pkg: {package, version, architecture,
 *	                      unsat-dependency}, depchains: [...] }
 *	   - conflict: { pkg1: {..., unsat-conflict}, pkg2: {...},
 *	                 depchain1: [...], depchain2: [...] }
 * Every scalar is read as text (versions such as 1.0 are not numbers).
 * dose prints values unquoted; a value libyaml cannot take as it is (a
 * leading '%', '@', '`', '*', '&', '!', '|', '>' or a " #") is retried with
 * every "key: value" line single-quoted, which is how dose's own output
 * is known to go wrong.
 */
#ifndef DEBPIPE_DOSE_H
#define DEBPIPE_DOSE_H

#include <stddef.h>

#include "error.h"

struct dose_entry {
	char	*package;
	char	*version;
	char	*arch;
	int	 broken;	/* status: broken (else ok) */
	char	*why;		/* one line per reason, '\n'-separated:
				   "missing b:amd64 (>= 2), needed by a 1.0
				   (e 1 -> a 1.0)"; NULL when ok */
};

struct dose_report {
	struct dose_entry	*entries;
	size_t			 n;
	long			 nbroken;	/* broken-packages: or counted */
};

/* Parse len bytes of dose output.  0, or -1 with err ("dose output
 * line N column M: what").  The caller frees with dose_report_done. */
int	 dose_parse(const char *buf, size_t len, struct dose_report *out,
	    struct dp_error *err);
void	 dose_report_done(struct dose_report *r);

#endif
