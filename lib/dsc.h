/*
 * dsc.h - Debian source control files (.dsc).
 *
 * dsc_load() parses a .dsc (optionally wrapped in an OpenPGP clearsign
 * armour; the signature is not checked here) and the files it lists from
 * Files, Checksums-Sha1 and Checksums-Sha256, merged by name.  Every
 * listed name must be a safe single file name (fs_name_is_safe), sizes
 * must agree between the fields, every file must be in Files, and a
 * Checksums-* field that is there must list every file of Files.
 */
#ifndef DEBPIPE_DSC_H
#define DEBPIPE_DSC_H

#include <stddef.h>
#include <stdint.h>

#include "deb822.h"
#include "error.h"
#include "hash.h"

#define DSC_MAX_SIZE	(1024 * 1024)
#define DSC_MAX_FILES	256

struct dsc_file {
	char		*name;
	uint64_t	 size;
	char		 md5[HASH_MD5_HEXLEN + 1];	/* "" if not listed */
	char		 sha1[HASH_SHA1_HEXLEN + 1];
	char		 sha256[HASH_SHA256_HEXLEN + 1];
};

struct dsc {
	struct deb822_para	*para;		/* the whole paragraph */
	const char		*source;	/* Source: (points into para) */
	const char		*version;	/* Version: */
	struct dsc_file		*files;
	size_t			 nfiles;
};

/* Parse buf; fname for messages.  *dsc is zeroed first; free with
 * dsc_done (also after a failure). */
int	 dsc_parse(const char *buf, size_t len, const char *fname,
	    struct dsc *dsc, struct dp_error *err);
/* Read and parse path (at most DSC_MAX_SIZE bytes). */
int	 dsc_load(const char *path, struct dsc *dsc, struct dp_error *err);
void	 dsc_done(struct dsc *dsc);

/* Compare the sums of a file with what the .dsc lists for it:
 * DP_ERR_INVALID naming dscname, the file and the field on mismatch. */
int	 dsc_file_check(const char *dscname, const struct dsc_file *f,
	    const struct hash_sums *sums, struct dp_error *err);

/* Check every listed file in dir (the .dsc's directory): exists, size
 * and every listed checksum match.  DP_ERR_NOTFOUND for a missing file. */
int	 dsc_verify(const char *dscname, const struct dsc *dsc,
	    const char *dir, struct dp_error *err);

#endif
