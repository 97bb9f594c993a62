/*
 * db-snapshots.c - the snapshots table (db-snapshots.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "db-snapshots.h"
#include "xmalloc.h"

int64_t *
db_snapshot_ids_decode(const void *blob, size_t len, size_t *n)
{
	const unsigned char	*p = blob;
	int64_t			*ids;
	uint64_t		 v;
	size_t			 i;
	int			 k;

	*n = len / 8;
	ids = xcalloc(*n + 1, sizeof(*ids));
	for (i = 0; i < *n; i++) {
		v = 0;
		for (k = 7; k >= 0; k--)
			v = (v << 8) | p[8 * i + (size_t)k];
		ids[i] = (int64_t)v;
	}
	return ids;
}

void *
db_snapshot_ids_encode(const int64_t *ids, size_t n)
{
	unsigned char	*p = xmalloc(n * 8 + 1);
	size_t		 i;
	int		 k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 8; k++)
			p[8 * i + (size_t)k] =
			    (unsigned char)((uint64_t)ids[i] >> (8 * k));
	return p;
}
