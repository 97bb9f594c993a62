/*
 * snapid.h - snapshot IDs: the UTC second a snapshot was taken,
 * "YYYYMMDDTHHMMSSZ" (20261122T013000Z).  The one check every program
 * uses before an ID names a directory, a URL or a row.
 */
#ifndef DEBPIPE_SNAPID_H
#define DEBPIPE_SNAPID_H

#define SNAPID_LEN	16

/* 1 if s (may be NULL) is a snapshot ID, else 0. */
int	 snapid_valid(const char *s);

#endif
