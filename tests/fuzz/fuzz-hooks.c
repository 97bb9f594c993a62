/*
 * fuzz-hooks.c - libFuzzer target for the forge push hooks
 * (promoter/hook-event.c) and the Tokens-File (promoter/tokens.c).
 * Input: a head, a line "--- body", then the request body.  The body is
 * parsed as a push event (GitHub, Gitea, GitLab, generic JSON) and its
 * HMAC checked against the head's first line as X-Hub-Signature-256, the
 * second line as X-Gitlab-Token; every further head line is a clone URL
 * normalised and matched against the event.  The whole head is also
 * parsed as a Hooks-File and as a Tokens-File.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../promoter/promoter.h"

#define SECRET	"gh-secret-0123456789"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error	 err;
	struct hook_push ev;
	struct hooks	*h;
	struct tokens	*t;
	char		*head, *body, *line, *next, *n, why[256];
	const char	*name;
	size_t		 hlen, blen, i;
	int		 k = 0, parsed;

	fuzz_split(data, size, "--- body", &head, &hlen, &body, &blen);
	if (hooks_parse("hooks", head, hlen, &h, &err) == 0) {
		for (i = 0; i < h->n; i++)
			if (h->v[i].forge == NULL || h->v[i].secret == NULL)
				abort();
		hooks_free(h);
	}
	if (tokens_parse("tokens", head, &t, &err) == 0) {
		tokens_check(t, "hook-token-0123456789", &name);
		tokens_free(t);
	}
	memset(&ev, 0, sizeof(ev));
	parsed = hooks_push_parse(body, blen, &ev, why, sizeof(why)) == 0;
	if (parsed && ev.branch == NULL)
		abort();
	for (line = head; line != NULL; line = next, k++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (k == 0)
			hooks_sig_ok(SECRET, body, blen, line);
		else if (k == 1)
			hooks_token_ok(SECRET, line);
		else {
			n = hooks_url_norm(line);
			free(n);
			if (parsed)
				hooks_push_matches(&ev, line, "main");
		}
	}
	if (parsed)
		hooks_push_done(&ev);
	free(head);
	free(body);
	return 0;
}
