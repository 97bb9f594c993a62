/*
 * space.c - builds that fail because a file system filled up wait for
 * space instead of failing for good.
 *
 * A build writes to State-Dir (its log, its results), to the pool
 * (ingest), to /var/tmp (the host build's copy of the tree) and to the
 * temporary directory (sbuild's chroot).  When one of
 * them is (nearly) full as a build fails, the build is "waiting" with the
 * key "nospace:<bytes>": the builder queues it again once every one of
 * them has that much free, which is what it had after the failed build
 * was cleaned up plus what the build used (at least SPACE_MARGIN), so a
 * build that cannot fit is not retried in a loop.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "builder.h"
#include "xmalloc.h"

#define SPACE_LOW	(1024 * 1024)		/* "full": less than 1 MiB */
#define SPACE_MARGIN	(4 * 1024 * 1024)	/* retry with 4 MiB more */
#define NOSPACE_KEY	"nospace:"

/* The least free space among the file systems a build writes to; *where
 * (when not NULL) names the fullest (caller frees). */
uint64_t
space_free_min(const struct config *cfg, char **where)
{
	struct statvfs	 sv;
	const char	*tmp = getenv("TMPDIR");
	char		*paths[4];
	uint64_t	 min = UINT64_MAX, f;
	size_t		 i, at = 0;

	paths[0] = xstrdup(cfg->state_dir);
	paths[1] = config_pool_dir(cfg);
	paths[2] = xstrdup("/var/tmp");
	paths[3] = xstrdup(tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	for (i = 0; i < 4; i++) {
		/* The pool may not exist yet: its Public-Dir then. */
		if (statvfs(paths[i], &sv) == -1 && (i != 1 ||
		    statvfs(cfg->public_dir, &sv) == -1))
			continue;
		f = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
		if (f < min) {
			min = f;
			at = i;
		}
	}
	if (where != NULL)
		*where = xstrdup(paths[at]);
	for (i = 0; i < 4; i++)
		free(paths[i]);
	return min;
}

int
space_low(const struct config *cfg, char **where)
{
	if (space_free_min(cfg, where) < SPACE_LOW)
		return 1;
	if (where != NULL) {
		free(*where);
		*where = NULL;
	}
	return 0;
}

char *
space_wait_key(const struct config *cfg, uint64_t at_failure)
{
	uint64_t	now = space_free_min(cfg, NULL), used;

	used = now > at_failure ? now - at_failure : 0;
	if (used < SPACE_MARGIN)
		used = SPACE_MARGIN;
	return xasprintf(NOSPACE_KEY "%" PRIu64, now + used);
}

int
space_wait_over(const struct config *cfg, const char *key, uint64_t *need)
{
	char		*end;
	uint64_t	 n;

	if (key == NULL || strncmp(key, NOSPACE_KEY, strlen(NOSPACE_KEY)) != 0)
		return -1;
	n = strtoull(key + strlen(NOSPACE_KEY), &end, 10);
	if (need != NULL)
		*need = n;
	return space_free_min(cfg, NULL) >= n;
}
