/*
 * queue.c - what the builder's queue needs beyond the builds table
 * (lib/db-builds.c): the key a waiting build waits on changing, and
 * whether an earlier attempt's packages reached the pool.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "chroot.h"
#include "db-packages.h"
#include "xmalloc.h"

int
queue_ingested(struct db *db, const char *watch, const char *version,
    int64_t *n, struct dp_error *err)
{
	char	*origin = xasprintf("build:%s", watch);
	int	 rv;

	rv = db_pkg_count_origin_version(db, origin, version, n, err);
	free(origin);
	return rv;
}

char *
queue_dep_key(struct db *db, const struct config *cfg, const char *dist)
{
	struct stat	 sb;
	char		*tb;
	int64_t		 count = 0, maxid = 0;
	long long	 mt = 0;

	if (db_pkg_dist_stat(db, dist, &count, &maxid, NULL) == -1)
		count = maxid = 0;
	tb = chroot_tarball_path(cfg, dist, chroot_host_arch());
	if (stat(tb, &sb) == 0)
		mt = (long long)sb.st_mtime;
	free(tb);
	return xasprintf("packages=%lld/%lld chroot=%lld", (long long)count,
	    (long long)maxid, mt);
}
