/* t-hook-event.c - the pure parts of the forge push hooks
 * (promoter/hook-event.c): clone-URL normalisation (http, ssh, scp,
 * file forms), push payloads of GitHub, Gitea, GitLab and the generic
 * hook, matching watches, HMAC-SHA256 signatures and tokens, the
 * Hooks-File. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promoter.h"
#include "xmalloc.h"

static void
norm_is(const char *url, const char *want)
{
	char	*n = hooks_url_norm(url);

	if (url == NULL)
		url = "(null)";
	if (want == NULL) {
		if (n != NULL)
			fail_msg("%s: got %s, expected NULL", url, n);
	} else {
		if (n == NULL)
			fail_msg("%s: got NULL, expected %s", url, want);
		assert_string_equal(n, want);
	}
	free(n);
}

static void
test_url_norm(void **state)
{
	(void)state;
	/* One repository, every form a forge puts in a payload. */
	norm_is("https://github.com/Owner/Repo.git", "github.com/owner/repo");
	norm_is("https://github.com/owner/repo", "github.com/owner/repo");
	norm_is("https://github.com/owner/repo/", "github.com/owner/repo");
	norm_is("http://user:pw@github.com:8080/owner/repo.git/",
	    "github.com/owner/repo");
	norm_is("git://github.com/owner/repo.git", "github.com/owner/repo");
	norm_is("ssh://git@github.com:22/owner/repo.git",
	    "github.com/owner/repo");
	norm_is("git@github.com:owner/repo.git", "github.com/owner/repo");
	norm_is("github.com:owner/repo", "github.com/owner/repo");
	norm_is("git+ssh://git@[2001:db8::1]:2222/owner/repo.git",
	    "[2001:db8::1]/owner/repo");
	norm_is("https://gitlab.example.org/group/sub/project.git",
	    "gitlab.example.org/group/sub/project");
	/* Local repositories. */
	norm_is("file:///srv/git/hello.git", "file:/srv/git/hello");
	norm_is("FILE:///srv/git/hello/", "file:/srv/git/hello");
	norm_is("/srv/git/hello", "file:/srv/git/hello");
	norm_is("file:////srv//git/hello", "file:/srv//git/hello");
	/* Not URLs. */
	norm_is(NULL, NULL);
	norm_is("", NULL);
	norm_is("https://github.com", NULL);
	norm_is("https://github.com/", NULL);
	norm_is("https:///owner/repo", NULL);
	norm_is("file://relative/path", NULL);
	norm_is("relative/path", NULL);
	norm_is("https://github.com/owner/repo with space", NULL);
	norm_is("https://github.com/owner/re\npo", NULL);
	norm_is("ht<tp://github.com/owner/repo", NULL);
	norm_is("https://[::1/owner/repo", NULL);
	norm_is("git@:owner/repo", NULL);
}

static void
test_url_norm_long(void **state)
{
	static char	u[4097];

	(void)state;
	memset(u, 'a', sizeof(u) - 1);
	memcpy(u, "https://h/", 10);
	u[sizeof(u) - 1] = '\0';
	norm_is(u, NULL);
}

#define GITHUB_PUSH \
	"{\"ref\":\"refs/heads/main\",\"before\":\"0\",\"after\":\"1\"," \
	"\"repository\":{\"full_name\":\"t/hello\"," \
	"\"clone_url\":\"https://github.com/T/hello.git\"," \
	"\"ssh_url\":\"git@github.com:T/hello.git\"," \
	"\"git_url\":\"git://github.com/T/hello.git\"," \
	"\"html_url\":\"https://github.com/T/hello\"," \
	"\"homepage\":null,\"url\":\"https://github.com/T/hello\"}}"

static void
test_push_github(void **state)
{
	struct hook_push ev;
	char		 why[256];

	(void)state;
	assert_int_equal(hooks_push_parse(GITHUB_PUSH, strlen(GITHUB_PUSH),
	    &ev, why, sizeof(why)), 0);
	assert_string_equal(ev.branch, "main");
	assert_true(ev.is_branch);
	/* The four URLs are one repository: kept once. */
	assert_int_equal(ev.nurls, 1);
	assert_string_equal(ev.urls[0], "github.com/t/hello");
	assert_true(hooks_push_matches(&ev, "https://github.com/t/hello",
	    "main"));
	assert_true(hooks_push_matches(&ev, "git@github.com:t/hello.git",
	    "main"));
	assert_false(hooks_push_matches(&ev, "https://github.com/t/hello",
	    "fix"));
	assert_false(hooks_push_matches(&ev, "https://github.com/t/hello2",
	    "main"));
	assert_false(hooks_push_matches(&ev, "https://gitlab.com/t/hello",
	    "main"));
	assert_false(hooks_push_matches(&ev, "not a url", "main"));
	assert_false(hooks_push_matches(&ev, "https://github.com/t/hello",
	    NULL));
	hooks_push_done(&ev);
}

static void
test_push_gitlab_generic(void **state)
{
	struct hook_push ev;
	char		 why[256];
	static const char gl[] = "{\"object_kind\":\"push\","
	    "\"ref\":\"refs/heads/release/1.x\",\"project\":{"
	    "\"git_http_url\":\"https://gitlab.example.org/g/p.git\","
	    "\"git_ssh_url\":\"git@gitlab.example.org:g/p.git\","
	    "\"web_url\":\"https://gitlab.example.org/g/p\"},"
	    "\"repository\":{\"url\":\"git@gitlab.example.org:g/p.git\"}}";
	static const char gen[] = "{\"url\":\"file:///srv/git/hello\","
	    "\"branch\":\"main\"}";
	static const char tag[] = "{\"ref\":\"refs/tags/v1\","
	    "\"repository\":{\"clone_url\":\"https://h/o/r\"}}";

	(void)state;
	assert_int_equal(hooks_push_parse(gl, sizeof(gl) - 1, &ev, why,
	    sizeof(why)), 0);
	assert_string_equal(ev.branch, "release/1.x");
	assert_int_equal(ev.nurls, 1);
	assert_true(hooks_push_matches(&ev, "https://gitlab.example.org/g/p",
	    "release/1.x"));
	hooks_push_done(&ev);

	assert_int_equal(hooks_push_parse(gen, sizeof(gen) - 1, &ev, why,
	    sizeof(why)), 0);
	assert_true(hooks_push_matches(&ev, "file:///srv/git/hello.git/",
	    "main"));
	hooks_push_done(&ev);

	/* A tag push is parsed but matches no branch. */
	assert_int_equal(hooks_push_parse(tag, sizeof(tag) - 1, &ev, why,
	    sizeof(why)), 0);
	assert_false(ev.is_branch);
	assert_string_equal(ev.branch, "refs/tags/v1");
	assert_false(hooks_push_matches(&ev, "https://h/o/r", "refs/tags/v1"));
	assert_false(hooks_push_matches(&ev, "https://h/o/r", "v1"));
	hooks_push_done(&ev);
}

static void
refused(const char *body, size_t len, const char *why_part)
{
	struct hook_push ev;
	char		 why[256];

	why[0] = '\0';
	assert_int_equal(hooks_push_parse(body, len, &ev, why, sizeof(why)),
	    -1);
	if (strstr(why, why_part) == NULL)
		fail_msg("'%.*s': why '%s' lacks '%s'", (int)len, body, why,
		    why_part);
	assert_null(ev.urls);
	assert_null(ev.branch);
	hooks_push_done(&ev);		/* harmless after a failure */
}

#define R(s, w)	refused(s, sizeof(s) - 1, w)

static void
test_push_refused(void **state)
{
	char	big[600];

	(void)state;
	R("", "malformed JSON");
	R("{\"ref\": \"refs/heads/main\", \"repository\": ", "malformed JSON");
	R("[1, 2]", "must be a JSON object");
	R("\"x\"", "malformed JSON");	/* jansson: an object or array */
	R("{\"zen\":\"Keep it simple\"}", "not a push event");
	R("{\"ref\":7,\"repository\":{\"clone_url\":\"https://h/o/r\"}}",
	    "not a push event");
	R("{\"ref\":\"refs/heads/\",\"repository\":{\"clone_url\":"
	    "\"https://h/o/r\"}}", "bad ref");
	R("{\"ref\":\"refs/heads/a\\nb\",\"repository\":{\"clone_url\":"
	    "\"https://h/o/r\"}}", "bad ref");
	R("{\"ref\":\"refs/heads/main\"}", "no usable repository URL");
	R("{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":"
	    "\"https://github.com/\",\"ssh_url\":42,\"git_url\":\"\"}}",
	    "no usable repository URL");
	R("{\"ref\":\"refs/heads/main\",\"ref\":\"refs/heads/evil\","
	    "\"repository\":{\"clone_url\":\"https://h/o/r\"}}",
	    "malformed JSON");
	/* A NUL inside the body. */
	refused("{\"ref\":\"refs/heads/main\"}\0{}", 27, "malformed JSON");
	/* A 300-character branch. */
	snprintf(big, sizeof(big), "{\"ref\":\"refs/heads/%0300d\","
	    "\"repository\":{\"clone_url\":\"https://h/o/r\"}}", 0);
	refused(big, strlen(big), "bad ref");
}

static void
test_sig(void **state)
{
	/* GitHub's documented example and RFC 4231 test case 2. */
	static const char gh[] =
	    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	static const char rfc[] =
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	char	 s[80];

	(void)state;
	snprintf(s, sizeof(s), "sha256=%s", gh);
	assert_true(hooks_sig_ok("It's a Secret to Everybody",
	    "Hello, World!", 13, s));
	assert_true(hooks_sig_ok("It's a Secret to Everybody",
	    "Hello, World!", 13, gh));		/* Gitea: bare hex */
	assert_true(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    rfc));
	/* Upper-case hex is the same digest. */
	snprintf(s, sizeof(s), "SHA256=5BDCC146BF60754E6A042426089575C75A003F0"
	    "89D2739839DEC58B964EC3843");
	assert_true(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    s));
	/* Wrong secret, body, length, or a malformed signature. */
	assert_false(hooks_sig_ok("jefe", "what do ya want for nothing?", 28,
	    rfc));
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing!", 28,
	    rfc));
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing?", 27,
	    rfc));
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    "sha1=5bdcc146bf60754e6a042426089575c75a003f08"));
	snprintf(s, sizeof(s), "%.63s", rfc);
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    s));
	snprintf(s, sizeof(s), "%.63sg", rfc);
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    s));
	snprintf(s, sizeof(s), "%s00", rfc);
	assert_false(hooks_sig_ok("Jefe", "what do ya want for nothing?", 28,
	    s));
	assert_false(hooks_sig_ok("Jefe", "x", 1, ""));
	assert_false(hooks_sig_ok("Jefe", "x", 1, NULL));
	assert_false(hooks_sig_ok(NULL, "x", 1, rfc));
}

static void
test_token(void **state)
{
	(void)state;
	assert_true(hooks_token_ok("gitlab-token-0123", "gitlab-token-0123"));
	assert_false(hooks_token_ok("gitlab-token-0123", "gitlab-token-012"));
	assert_false(hooks_token_ok("gitlab-token-0123",
	    "gitlab-token-01234"));
	assert_false(hooks_token_ok("gitlab-token-0123", ""));
	assert_false(hooks_token_ok("gitlab-token-0123", NULL));
	assert_false(hooks_token_ok(NULL, "x"));
}

static void
test_hooks_file(void **state)
{
	struct hooks	*h = NULL;
	struct dp_error	 err;
	static const char good[] = "# forge secrets\n"
	    "Forge: github\nSecret: s1\n\n"
	    "Forge: gitea\nSecret: s2\n\n"
	    "Forge: github\nSecret: s3\n";
	static const char unknown[] = "Forge: github\nSecret: s\n\n"
	    "Forge: github\nToken: s\n";
	static const char forge[] = "Forge: bitbucket\nSecret: s\n";
	static const char nosecret[] = "Forge: gitlab\n";

	(void)state;
	assert_int_equal(hooks_parse("hooks", good, sizeof(good) - 1, &h,
	    &err), 0);
	assert_int_equal(h->n, 3);
	assert_string_equal(h->v[0].forge, "github");
	assert_string_equal(h->v[0].secret, "s1");
	assert_string_equal(h->v[1].forge, "gitea");
	assert_string_equal(h->v[2].secret, "s3");
	hooks_free(h);
	hooks_free(NULL);

	h = NULL;
	assert_int_equal(hooks_parse("hooks", unknown, sizeof(unknown) - 1,
	    &h, &err), -1);
	assert_null(h);
	assert_non_null(strstr(dp_error_str(&err), "hooks:5: unknown field "
	    "Token"));
	assert_int_equal(hooks_parse("hooks", forge, sizeof(forge) - 1,
	    &h, &err), -1);
	assert_non_null(strstr(dp_error_str(&err), "hooks:"));
	assert_non_null(strstr(dp_error_str(&err), "Forge:"));
	assert_int_equal(hooks_parse("hooks", nosecret, sizeof(nosecret) - 1,
	    &h, &err), -1);
	assert_non_null(strstr(dp_error_str(&err), "hooks:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_norm),
		cmocka_unit_test(test_url_norm_long),
		cmocka_unit_test(test_push_github),
		cmocka_unit_test(test_push_gitlab_generic),
		cmocka_unit_test(test_push_refused),
		cmocka_unit_test(test_sig),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_hooks_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
