/*
 * sign.c - OpenPGP through gpgme: the archive signing key, signing Release
 * files, verifying upstream signatures.
 *
 * Every context runs gpg with an explicit home directory and pinentry mode
 * loopback, and a passphrase callback that refuses: nothing here can ever
 * block on a pinentry.  Keys are created without a passphrase.  gpg starts
 * gpg-agent for the signing home on demand (it keeps running, as it does
 * for any gpg user); verification uses a private temporary home with no
 * secret keys and removes it afterwards.
 */
#include "autoconfig.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpgme.h>

#include "error.h"
#include "fsutil.h"
#include "sign.h"
#include "spawn.h"
#include "xmalloc.h"

/* Upper bound for keys and signatures read back from gpgme. */
#define SIGN_MAX_KEYRING	(16 * 1024 * 1024)

static pthread_once_t	sign_once = PTHREAD_ONCE_INIT;
static const char	*sign_gpgme_version;

static void
sign_init_cb(void)
{
	sign_gpgme_version = gpgme_check_version(NULL);
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
}

/* The gpgme error adapter: "message: gpgme's description". */
static void DP_PRINTF(3, 4)
dp_error_gpgme(struct dp_error *err, gpgme_error_t gerr, const char *fmt,
    ...)
{
	char	msg[512];
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dp_error_set(err, DP_ERR_GPG, "%s: %s", msg, gpgme_strerror(gerr));
}

/* Never hand out a passphrase: keys made here have none. */
static gpgme_error_t
sign_passphrase_cb(void *hook, const char *uid_hint, const char *info,
    int prev_was_bad, int fd)
{
	(void)hook; (void)uid_hint; (void)info; (void)prev_was_bad; (void)fd;
	return gpg_error(GPG_ERR_NO_PASSPHRASE);
}

/* A context on home (OpenPGP, loopback pinentry, no network). */
static int
sign_ctx_new(const char *home, gpgme_ctx_t *ctxp, struct dp_error *err)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_error_t	gerr;

	pthread_once(&sign_once, sign_init_cb);
	if (sign_gpgme_version == NULL) {
		dp_error_set(err, DP_ERR_GPG, "gpgme initialisation failed");
		return -1;
	}
	if ((gerr = gpgme_new(&ctx)) != 0) {
		dp_error_gpgme(err, gerr, "gpgme context");
		return -1;
	}
	if ((gerr = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (gerr = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
	    NULL, home)) != 0) {
		dp_error_gpgme(err, gerr, "gpg engine for %s", home);
		goto fail;
	}
	if ((gerr = gpgme_set_pinentry_mode(ctx,
	    GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		dp_error_gpgme(err, gerr, "pinentry mode loopback");
		goto fail;
	}
	gpgme_set_passphrase_cb(ctx, sign_passphrase_cb, NULL);
	gpgme_set_offline(ctx, 1);
	*ctxp = ctx;
	return 0;
fail:
	gpgme_release(ctx);
	return -1;
}

/* Copy a gpgme data object's contents to out. */
static void
sign_data_to_buf(gpgme_data_t dh, struct buf *out)
{
	char	*mem;
	size_t	 len = 0;

	mem = gpgme_data_release_and_get_mem(dh, &len);
	if (mem != NULL) {
		buf_add(out, mem, len);
		gpgme_free(mem);
	}
}

/* Secret keys in ctx's home matching pattern (NULL = all); *keys is a
 * NULL-terminated array (free with sign_keys_free). */
static int
sign_keys_list(gpgme_ctx_t ctx, const char *pattern, int secret,
    gpgme_key_t **keysp, size_t *np, struct dp_error *err)
{
	gpgme_key_t	*keys = NULL, key;
	gpgme_error_t	 gerr;
	size_t		 n = 0;

	if ((gerr = gpgme_op_keylist_start(ctx, pattern, secret)) != 0) {
		dp_error_gpgme(err, gerr, "list keys");
		return -1;
	}
	keys = xcalloc(1, sizeof(*keys));
	for (;;) {
		gerr = gpgme_op_keylist_next(ctx, &key);
		if (gpg_err_code(gerr) == GPG_ERR_EOF)
			break;
		if (gerr != 0) {
			dp_error_gpgme(err, gerr, "list keys");
			gpgme_op_keylist_end(ctx);
			while (n > 0)
				gpgme_key_unref(keys[--n]);
			free(keys);
			return -1;
		}
		keys = xreallocarray(keys, n + 2, sizeof(*keys));
		keys[n++] = key;
		keys[n] = NULL;
	}
	gpgme_op_keylist_end(ctx);
	*keysp = keys;
	*np = n;
	return 0;
}

static void
sign_keys_free(gpgme_key_t *keys)
{
	size_t	i;

	if (keys == NULL)
		return;
	for (i = 0; keys[i] != NULL; i++)
		gpgme_key_unref(keys[i]);
	free(keys);
}

/* Why key cannot sign, or NULL when it can. */
static const char *
sign_key_unusable(gpgme_key_t key)
{
	if (key->revoked)
		return "revoked";
	if (key->expired)
		return "expired";
	if (key->disabled)
		return "disabled";
	if (key->invalid)
		return "invalid";
	if (!key->can_sign)
		return "not usable for signing";
	if (!key->secret)
		return "without its secret part";
	return NULL;
}

static int
sign_home_prepare(const char *gnupg_dir, struct dp_error *err)
{
	struct stat	sb;

	if (fs_mkdirs(gnupg_dir, 0700, err) == -1)
		return -1;
	if (stat(gnupg_dir, &sb) == -1) {
		dp_error_errno(err, "%s", gnupg_dir);
		return -1;
	}
	if ((sb.st_mode & 077) != 0 && chmod(gnupg_dir, 0700) == -1) {
		dp_error_errno(err, "chmod 0700 %s", gnupg_dir);
		return -1;
	}
	return 0;
}

int
sign_key_init(const char *gnupg_dir, const char *uid, int force, char **fpr,
    struct dp_error *err)
{
	gpgme_ctx_t		 ctx = NULL;
	gpgme_key_t		*keys = NULL;
	gpgme_genkey_result_t	 res;
	gpgme_error_t		 gerr;
	char			*newfpr = NULL;
	size_t			 n, i;
	int			 rv = -1;

	if (uid == NULL || *uid == '\0' || strchr(uid, '\n') != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "bad user id for the key");
		return -1;
	}
	if (sign_home_prepare(gnupg_dir, err) == -1)
		return -1;
	if (sign_ctx_new(gnupg_dir, &ctx, err) == -1)
		return -1;
	if (sign_keys_list(ctx, NULL, 1, &keys, &n, err) == -1)
		goto out;
	if (n > 0 && !force) {
		dp_error_set(err, DP_ERR_EXISTS, "%s already holds a secret "
		    "key (%s); use --force to replace it", gnupg_dir,
		    keys[0]->fpr != NULL ? keys[0]->fpr : "?");
		goto out;
	}
	gerr = gpgme_op_createkey(ctx, uid, "ed25519", 0, 0, NULL,
	    GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD |
	    GPGME_CREATE_NOEXPIRE | GPGME_CREATE_FORCE);
	if (gerr != 0) {
		dp_error_gpgme(err, gerr, "create key in %s", gnupg_dir);
		goto out;
	}
	res = gpgme_op_genkey_result(ctx);
	if (res == NULL || res->fpr == NULL) {
		dp_error_set(err, DP_ERR_GPG, "create key in %s: no "
		    "fingerprint returned", gnupg_dir);
		goto out;
	}
	/* The result belongs to ctx and goes with its next operation. */
	newfpr = xstrdup(res->fpr);
	/* --force: the old keys go (only once the new one exists), so
	 * that the home holds one key again. */
	for (i = 0; i < n; i++) {
		if (keys[i]->fpr != NULL && strcmp(keys[i]->fpr, newfpr) == 0)
			continue;
		gerr = gpgme_op_delete_ext(ctx, keys[i],
		    GPGME_DELETE_ALLOW_SECRET | GPGME_DELETE_FORCE);
		if (gerr != 0) {
			dp_error_gpgme(err, gerr, "delete old key %s",
			    keys[i]->fpr);
			goto out;
		}
	}
	if (fpr != NULL) {
		*fpr = newfpr;
		newfpr = NULL;
	}
	rv = 0;
out:
	free(newfpr);
	sign_keys_free(keys);
	gpgme_release(ctx);
	return rv;
}

int
sign_key_find(const char *gnupg_dir, const char *keyid, char **fpr,
    struct dp_error *err)
{
	gpgme_ctx_t	 ctx = NULL;
	gpgme_key_t	*keys = NULL, use = NULL;
	const char	*why;
	size_t		 n, i, nusable = 0;
	int		 rv = -1;

	if (access(gnupg_dir, X_OK) == -1) {
		dp_error_errno(err, "gnupg home %s (run `debpipe key init`)",
		    gnupg_dir);
		return -1;
	}
	if (sign_ctx_new(gnupg_dir, &ctx, err) == -1)
		return -1;
	if (sign_keys_list(ctx, keyid, 1, &keys, &n, err) == -1)
		goto out;
	if (n == 0) {
		if (keyid != NULL)
			dp_error_set(err, DP_ERR_NOTFOUND, "no secret key %s "
			    "in %s", keyid, gnupg_dir);
		else
			dp_error_set(err, DP_ERR_NOTFOUND, "no secret key in "
			    "%s (run `debpipe key init`)", gnupg_dir);
		goto out;
	}
	why = NULL;
	for (i = 0; i < n; i++) {
		const char *w = sign_key_unusable(keys[i]);

		if (w == NULL) {
			nusable++;
			if (use == NULL)
				use = keys[i];
		} else if (why == NULL)
			why = w;
	}
	if (nusable == 0) {
		dp_error_set(err, DP_ERR_INVALID, "secret key %s in %s is %s",
		    keys[0]->fpr, gnupg_dir, why);
		goto out;
	}
	if (nusable > 1) {
		dp_error_set(err, DP_ERR_INVALID, "%s holds %zu usable secret "
		    "keys%s%s; name one with Sign-With", gnupg_dir, nusable,
		    keyid != NULL ? " matching " : "",
		    keyid != NULL ? keyid : "");
		goto out;
	}
	if (fpr != NULL)
		*fpr = xstrdup(use->fpr);
	rv = 0;
out:
	sign_keys_free(keys);
	gpgme_release(ctx);
	return rv;
}

int
sign_key_export(const char *gnupg_dir, const char *fpr, int armor,
    struct buf *out, struct dp_error *err)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_data_t	dh = NULL;
	gpgme_error_t	gerr;
	struct buf	tmp;
	int		rv = -1;

	buf_init(&tmp);
	if (fpr == NULL || *fpr == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "no key to export");
		return -1;
	}
	if (sign_ctx_new(gnupg_dir, &ctx, err) == -1)
		return -1;
	gpgme_set_armor(ctx, armor);
	if ((gerr = gpgme_data_new(&dh)) != 0) {
		dp_error_gpgme(err, gerr, "gpgme data");
		goto out;
	}
	if ((gerr = gpgme_op_export(ctx, fpr, GPGME_EXPORT_MODE_MINIMAL,
	    dh)) != 0) {
		dp_error_gpgme(err, gerr, "export key %s", fpr);
		goto out;
	}
	sign_data_to_buf(dh, &tmp);
	dh = NULL;
	if (tmp.len == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no public key %s in %s",
		    fpr, gnupg_dir);
		goto out;
	}
	buf_add(out, tmp.data, tmp.len);
	rv = 0;
out:
	buf_done(&tmp);
	gpgme_data_release(dh);
	gpgme_release(ctx);
	return rv;
}

/* One signature of data with the key already set as signer on ctx. */
static int
sign_one(gpgme_ctx_t ctx, const char *fpr, const char *data, size_t len,
    gpgme_sig_mode_t mode, struct buf *out, struct dp_error *err)
{
	gpgme_data_t		 in = NULL, sig = NULL;
	gpgme_sign_result_t	 res;
	gpgme_error_t		 gerr;
	const char		*what;
	int			 rv = -1;

	what = mode == GPGME_SIG_MODE_CLEAR ? "clearsign" : "detach-sign";
	if ((gerr = gpgme_data_new_from_mem(&in, data, len, 0)) != 0 ||
	    (gerr = gpgme_data_new(&sig)) != 0) {
		dp_error_gpgme(err, gerr, "gpgme data");
		goto out;
	}
	if ((gerr = gpgme_op_sign(ctx, in, sig, mode)) != 0) {
		dp_error_gpgme(err, gerr, "%s with key %s", what, fpr);
		goto out;
	}
	res = gpgme_op_sign_result(ctx);
	if (res == NULL || res->invalid_signers != NULL ||
	    res->signatures == NULL) {
		dp_error_set(err, DP_ERR_GPG, "%s with key %s: key not usable "
		    "for signing", what, fpr);
		goto out;
	}
	if (res->signatures->hash_algo == GPGME_MD_MD5 ||
	    res->signatures->hash_algo == GPGME_MD_SHA1 ||
	    res->signatures->hash_algo == GPGME_MD_RMD160) {
		dp_error_set(err, DP_ERR_GPG, "%s with key %s used the weak "
		    "digest %s (apt refuses it); set personal-digest-"
		    "preferences SHA512 in gpg.conf", what, fpr,
		    gpgme_hash_algo_name(res->signatures->hash_algo));
		goto out;
	}
	sign_data_to_buf(sig, out);
	sig = NULL;
	rv = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(sig);
	return rv;
}

int
sign_release(const char *gnupg_dir, const char *fpr, const char *data,
    size_t len, struct buf *inrelease, struct buf *release_gpg,
    struct dp_error *err)
{
	gpgme_ctx_t	 ctx = NULL;
	gpgme_key_t	 key = NULL;
	gpgme_error_t	 gerr;
	const char	*why;
	int		 rv = -1;

	if (fpr == NULL || *fpr == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "no signing key");
		return -1;
	}
	if (sign_ctx_new(gnupg_dir, &ctx, err) == -1)
		return -1;
	if ((gerr = gpgme_get_key(ctx, fpr, &key, 1)) != 0) {
		dp_error_gpgme(err, gerr, "secret key %s in %s", fpr,
		    gnupg_dir);
		goto out;
	}
	if ((why = sign_key_unusable(key)) != NULL) {
		dp_error_set(err, DP_ERR_GPG, "signing key %s is %s", fpr,
		    why);
		goto out;
	}
	if ((gerr = gpgme_signers_add(ctx, key)) != 0) {
		dp_error_gpgme(err, gerr, "use key %s", fpr);
		goto out;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_textmode(ctx, 0);
	if (inrelease != NULL && sign_one(ctx, fpr, data, len,
	    GPGME_SIG_MODE_CLEAR, inrelease, err) == -1)
		goto out;
	if (release_gpg != NULL && sign_one(ctx, fpr, data, len,
	    GPGME_SIG_MODE_DETACH, release_gpg, err) == -1)
		goto out;
	rv = 0;
out:
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return rv;
}

/*
 * A clearsigned message must be one: the header first (after nothing but
 * white space), a single signed block, and nothing but white space after
 * the signature, as apt insists.  Text around the block would not be
 * covered by the signature and must not be mistaken for signed data.
 */
static int
sign_clearsigned_shape(const char *data, size_t len, struct dp_error *err)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	static const char end[] = "-----END PGP SIGNATURE-----";
	const char	*p = data, *e = data + len, *line, *nl, *last = NULL;
	size_t		 nbegin = 0, llen;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	if ((size_t)(e - p) < sizeof(begin) - 1 ||
	    memcmp(p, begin, sizeof(begin) - 1) != 0) {
		dp_error_set(err, DP_ERR_GPG, "not a clearsigned message "
		    "(no \"%s\" header)", begin);
		return -1;
	}
	for (line = p; line < e; line = nl + 1) {
		if ((nl = memchr(line, '\n', e - line)) == NULL)
			nl = e;
		llen = nl - line;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == sizeof(begin) - 1 &&
		    memcmp(line, begin, llen) == 0)
			nbegin++;
		if (llen == sizeof(end) - 1 && memcmp(line, end, llen) == 0)
			last = nl;
	}
	if (nbegin != 1) {
		dp_error_set(err, DP_ERR_GPG, "%zu signed blocks in a "
		    "clearsigned message; expected one", nbegin);
		return -1;
	}
	if (last == NULL) {
		dp_error_set(err, DP_ERR_GPG, "clearsigned message without "
		    "a signature");
		return -1;
	}
	for (p = last; p < e; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			dp_error_set(err, DP_ERR_GPG, "data after the "
			    "signature of a clearsigned message");
			return -1;
		}
	}
	return 0;
}

int
sign_home_close(const char *gnupg_dir, struct dp_error *err)
{
	char *const	argv[] = { "gpgconf", "--homedir", (char *)gnupg_dir,
			    "--kill", "all", NULL };
	struct spawn_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.log_path = "/dev/null";
	opts.timeout = 30;
	if (spawn_run(argv, &opts, NULL, NULL, err) == -1) {
		dp_error_prefix(err, "stop gpg-agent for %s", gnupg_dir);
		return -1;
	}
	return 0;
}

int
sign_verify(const char *keyring_path, const char *data, size_t len,
    const char *sig, size_t siglen, struct buf *plain, struct dp_error *err)
{
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 kd = NULL, sd = NULL, dd = NULL, pd = NULL;
	gpgme_import_result_t	 ires;
	gpgme_verify_result_t	 vres;
	gpgme_signature_t	 s;
	gpgme_error_t		 gerr;
	const char		*tmpdir;
	char			*home = NULL, *keys = NULL, *conf = NULL;
	char			 why[512];
	size_t			 keyslen;
	int			 rv = -1, good = 0, agent = 0;

	why[0] = '\0';
	if (sig == NULL && sign_clearsigned_shape(data, len, err) == -1)
		return -1;
	if (fs_read_file(keyring_path, SIGN_MAX_KEYRING, &keys, &keyslen,
	    err) == -1) {
		dp_error_prefix(err, "keyring");
		return -1;
	}
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	home = xasprintf("%s/debpipe-gpg-XXXXXX", tmpdir);
	if (mkdtemp(home) == NULL) {
		dp_error_errno(err, "create temporary gnupg home in %s",
		    tmpdir);
		free(home);
		home = NULL;
		goto out;
	}
	/* Every key in the keyring is trusted, as with gpgv --keyring. */
	conf = fs_join(home, "gpg.conf");
	if (fs_write_atomic(conf, "trust-model always\n"
	    "no-auto-key-retrieve\n", strlen("trust-model always\n"
	    "no-auto-key-retrieve\n"), 0600, err) == -1)
		goto out;
	if (sign_ctx_new(home, &ctx, err) == -1)
		goto out;
	agent = 1;
	if ((gerr = gpgme_data_new_from_mem(&kd, keys, keyslen, 0)) != 0) {
		dp_error_gpgme(err, gerr, "gpgme data");
		goto out;
	}
	if ((gerr = gpgme_op_import(ctx, kd)) != 0) {
		dp_error_gpgme(err, gerr, "import keyring %s", keyring_path);
		goto out;
	}
	ires = gpgme_op_import_result(ctx);
	if (ires == NULL || ires->imported + ires->unchanged == 0) {
		dp_error_set(err, DP_ERR_GPG, "keyring %s holds no usable "
		    "OpenPGP key", keyring_path);
		goto out;
	}
	if (sig == NULL) {
		if ((gerr = gpgme_data_new_from_mem(&sd, data, len, 0)) != 0 ||
		    (gerr = gpgme_data_new(&pd)) != 0) {
			dp_error_gpgme(err, gerr, "gpgme data");
			goto out;
		}
		gerr = gpgme_op_verify(ctx, sd, NULL, pd);
	} else {
		if ((gerr = gpgme_data_new_from_mem(&sd, sig, siglen, 0))
		    != 0 ||
		    (gerr = gpgme_data_new_from_mem(&dd, data, len, 0)) != 0) {
			dp_error_gpgme(err, gerr, "gpgme data");
			goto out;
		}
		gerr = gpgme_op_verify(ctx, sd, dd, NULL);
	}
	if (gerr != 0) {
		dp_error_gpgme(err, gerr, "verify signature");
		goto out;
	}
	vres = gpgme_op_verify_result(ctx);
	for (s = vres != NULL ? vres->signatures : NULL; s != NULL;
	    s = s->next) {
		/*
		 * status 0 is GOODSIG+VALIDSIG from a key that is neither
		 * expired nor revoked.  gpg reports no validity under
		 * trust-model always, so the summary has no VALID bit:
		 * every key in the keyring counts, as with gpgv.
		 */
		if (s->status == 0 && s->fpr != NULL &&
		    !(s->summary & (GPGME_SIGSUM_RED |
		    GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
		    GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING))) {
			if (s->hash_algo == GPGME_MD_MD5 ||
			    s->hash_algo == GPGME_MD_SHA1 ||
			    s->hash_algo == GPGME_MD_RMD160) {
				snprintf(why, sizeof(why), "signature by %s "
				    "uses the weak digest %s", s->fpr,
				    gpgme_hash_algo_name(s->hash_algo));
				continue;
			}
			good = 1;
			continue;
		}
		if (why[0] != '\0')
			continue;
		if (s->summary & GPGME_SIGSUM_KEY_MISSING ||
		    gpg_err_code(s->status) == GPG_ERR_NO_PUBKEY)
			snprintf(why, sizeof(why), "signed by %s, which is "
			    "not in %s", s->fpr, keyring_path);
		else if (s->summary & GPGME_SIGSUM_KEY_EXPIRED)
			snprintf(why, sizeof(why), "signing key %s has "
			    "expired", s->fpr);
		else if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			snprintf(why, sizeof(why), "signing key %s has been "
			    "revoked", s->fpr);
		else if (s->summary & GPGME_SIGSUM_SIG_EXPIRED)
			snprintf(why, sizeof(why), "signature by %s has "
			    "expired", s->fpr);
		else if (gpg_err_code(s->status) == GPG_ERR_BAD_SIGNATURE)
			snprintf(why, sizeof(why), "BAD signature by %s "
			    "(data changed after signing)", s->fpr);
		else
			snprintf(why, sizeof(why), "signature by %s not "
			    "valid: %s", s->fpr, gpgme_strerror(s->status));
	}
	if (!good) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "no signature found");
		dp_error_set(err, DP_ERR_GPG, "%s", why);
		goto out;
	}
	if (sig == NULL && plain != NULL)
		sign_data_to_buf(pd, plain);
	pd = NULL;
	rv = 0;
out:
	gpgme_data_release(kd);
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	gpgme_data_release(pd);
	gpgme_release(ctx);
	if (home != NULL) {
		if (agent)
			(void)sign_home_close(home, NULL);
		(void)fs_remove_tree(home, NULL);
	}
	free(conf);
	free(keys);
	free(home);
	return rv;
}
