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

/* fuzz-promoter.c: the promoter of the api, hookreq and ui targets (made
 * at the first call, see there), and what they share. */
#define FUZZ_GH_SECRET		"gh-secret-0123456789"
#define FUZZ_GITEA_SECRET	"gitea-secret-0123"
struct promoter;
struct promoter *fuzz_promoter(void);
/* query_get for http_query_parse: arg is "k=v&k2=v2" (not decoded). */
const char *fuzz_query_get(void *arg, const char *key);
/* An HTTP request as the targets read it: "METHOD /path?query", then
 * "Name: value" header lines up to an empty line, then the body.
 * fuzz_request cuts s (which it modifies) up: -1 without a path. */
#define FUZZ_HDRS_MAX	32
struct fuzz_req {
	char	*method, *url, *query, *body;	/* query, body: NULL if none */
	struct {
		char	*name, *value;
	} hdrs[FUZZ_HDRS_MAX];
	size_t	 nhdrs;
};
int	 fuzz_request(char *s, struct fuzz_req *rq);
/* A header of rq (arg) by name, case-insensitive; NULL when absent. */
const char *fuzz_header_get(void *arg, const char *name);
#endif
