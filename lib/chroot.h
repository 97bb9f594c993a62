/*
 * chroot.h - the clean-room chroot tarballs that sbuild builds in.
 *
 * One buildd chroot per Distribution and architecture, made with
 * mmdebstrap (--variant=buildd) from the Distribution's Build-Mirror:
 * (default: the Debian mirror of the host's apt sources), Build-Suite:
 * (default: the Distribution's name) and Build-Keyring: (default:
 * Debian's archive keyring), kept as State-Dir/chroots/<dist>-<arch>.tar.zst.
 * A new tarball is written beside the old one under a lock and renamed
 * over it: a killed create leaves the previous one usable, and a build
 * that already opened (or linked) the old one is not disturbed.
 */
#ifndef DEBPIPE_CHROOT_H
#define DEBPIPE_CHROOT_H

#include <time.h>

#include "config.h"
#include "error.h"

#define CHROOT_DEFAULT_KEYRING \
	"/usr/share/keyrings/debian-archive-keyring.gpg"

/* State-Dir/chroots.  Caller frees. */
char	*chroot_dir(const struct config *cfg);

/* State-Dir/chroots/<dist>-<arch>.tar.zst.  Caller frees. */
char	*chroot_tarball_path(const struct config *cfg, const char *dist,
	    const char *arch);

/* The host's dpkg architecture ("amd64"); static storage. */
const char *chroot_host_arch(void);

/* The Debian mirror of the host's own apt sources (deb822 .sources or
 * one-line .list; security mirrors skipped), else deb.debian.org.
 * Caller frees. */
char	*chroot_host_mirror(void);

/* What a chroot of d is made from (defaults filled in).  Caller frees
 * the strings of both. */
struct chroot_source {
	char	*mirror;
	char	*suite;
	char	*keyring;
};
void	 chroot_source_get(const struct conf_dist *d,
	    struct chroot_source *src);
void	 chroot_source_done(struct chroot_source *src);

/*
 * Make (or remake) the tarball of dist d for arch.  mmdebstrap's output
 * goes to log_path when not NULL, else to the terminal (with its
 * progress).  Fails with a message saying what is wrong (mirror,
 * keyring, suite, architecture) and leaves any previous tarball in
 * place.  DP_ERR_BUSY when another create of the same chroot runs
 * and wait is 0.
 */
int	 chroot_create(const struct config *cfg, const struct conf_dist *d,
	    const char *arch, const char *log_path, int wait,
	    struct dp_error *err);

/* Remove the tarball (and leftovers of killed creates).  A missing one
 * is DP_ERR_NOTFOUND. */
int	 chroot_remove(const struct config *cfg, const char *dist,
	    const char *arch, struct dp_error *err);

/* Age and size of a tarball: 0, or -1 (missing: DP_ERR_NOTFOUND). */
int	 chroot_stat(const struct config *cfg, const char *dist,
	    const char *arch, time_t *mtime, long long *size,
	    struct dp_error *err);

/* A quick check that a tarball is a complete zstd tar: its end is
 * readable.  0 or -1 with err saying it is corrupt. */
int	 chroot_verify(const char *path, struct dp_error *err);

#endif
