/*
 * db-snapshots.h - the snapshots table (db.h has the schema): the only
 * place that knows its columns and SQL.
 */
#ifndef DEBPIPE_DB_SNAPSHOTS_H
#define DEBPIPE_DB_SNAPSHOTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "error.h"

/* Decode a snapshots.packages/sources BLOB (little-endian int64s); never
 * NULL (caller frees). */
int64_t	*db_snapshot_ids_decode(const void *blob, size_t len, size_t *n);
/* ... and encode one (caller frees; n * 8 bytes). */
void	*db_snapshot_ids_encode(const int64_t *ids, size_t n);

#endif
