/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share.  Each
 * fuzz-NAME.c defines LLVMFuzzerTestOneInput and calls the real parser of
 * the tree; it is linked either with libFuzzer (`make fuzz`, clang) or
 * with replay.c (`make check`, any compiler).
 */
#ifndef DEBPIPE_FUZZ_H
#define DEBPIPE_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private directory for this process (made once, kept). */
const char *fuzz_dir(void);
/* Write data to fuzz_dir()/name (replaced); returns the path (static). */
const char *fuzz_file(const char *name, const void *data, size_t size);
/* Split data at the first line equal to sep ("--- watch"): *a gets the
 * part before, *b (may be empty) the part after.  NUL-terminated copies
 * the caller frees. */
void	 fuzz_split(const uint8_t *data, size_t size, const char *sep,
	    char **a, size_t *alen, char **b, size_t *blen);
/* A NUL-terminated copy of data (caller frees). */
char	*fuzz_str(const uint8_t *data, size_t size);
#endif
