/* snapshotter.h - debpipe-snapshotter's parts. */
#ifndef DEBPIPE_SNAPSHOTTER_H
#define DEBPIPE_SNAPSHOTTER_H

/* snapshotter/check.c: the --check ID JOB mode. */
int	 snapshotter_check_main(int argc, char **argv);

#endif
