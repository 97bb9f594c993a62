/*
 * sign.h - OpenPGP through gpgme: the archive signing key, signing
 * Release files, verifying upstream signatures.  Only this module touches
 * a gnupg home.
 */
#ifndef DEBPIPE_SIGN_H
#define DEBPIPE_SIGN_H

#include "error.h"
#include "xmalloc.h"

/* Create a passphrase-less signing key (ed25519 or rsa3072) in gnupg_dir
 * (created 0700 if missing) with user id uid.  Refuses (DP_ERR_EXISTS)
 * when the home already has a secret key unless force.  *fpr receives the
 * fingerprint (caller frees). */
int	 sign_key_init(const char *gnupg_dir, const char *uid, int force,
	    char **fpr, struct dp_error *err);

/* The key to sign with: keyid if not NULL (must have a secret key there),
 * else the only secret key in gnupg_dir (error if none or several).
 * *fpr receives its fingerprint (caller frees). */
int	 sign_key_find(const char *gnupg_dir, const char *keyid, char **fpr,
	    struct dp_error *err);

/* Public key of fpr: binary (armor 0, usable as signed-by= keyring) or
 * ASCII-armoured, appended to out. */
int	 sign_key_export(const char *gnupg_dir, const char *fpr, int armor,
	    struct buf *out, struct dp_error *err);

/* Sign a Release file: clearsigned text appended to inrelease, detached
 * armoured signature appended to release_gpg. */
int	 sign_release(const char *gnupg_dir, const char *fpr,
	    const char *data, size_t len, struct buf *inrelease,
	    struct buf *release_gpg, struct dp_error *err);

/* Stop the gpg-agent that gpg started for gnupg_dir, if any (gpg starts
 * it again when next needed).  For commands and tests that must not leave
 * a process behind, and before handing the home to another user. */
int	 sign_home_close(const char *gnupg_dir, struct dp_error *err);

/*
 * Verify upstream data against the keys in keyring_path (binary or armoured
 * keyring file; used in a private temporary gnupg home).  Either a
 * clearsigned text (sig == NULL; the signed text is appended to plain) or
 * data + detached sig.  Fails (DP_ERR_GPG) unless at least one good, valid
 * signature from a key in the keyring is present.
 */
int	 sign_verify(const char *keyring_path, const char *data, size_t len,
	    const char *sig, size_t siglen, struct buf *plain,
	    struct dp_error *err);

#endif
