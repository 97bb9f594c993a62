# tests/integration/check-lib.sh - helpers for the built-in check tests
# (after lib.sh and apt-lib.sh).
#
#   ck_mirror DIR                   # a signed "bookworm" background repo
#                                   #   with libbase 1.0 (needs up_key)
#   ck_instance MIRROR-URL [GLOBAL-FIELDS...]
#                                   # instance with Build-Mirror: and test
#                                   #   -> staging (Requires: installability)
#   ck_latest INST                  # newest snapshot id
#   ck_result INST ID JOB           # latest result of JOB for ID
#   ck_wait_result INST ID JOB SECS # wait for a result of JOB for ID

ck_mirror() {
	up_init "$1" bookworm
	up_add "$1" "$(make_deb "$T_TMP/mirror-debs" libbase 1.0 amd64)"
	up_add "$1" "$(make_deb "$T_TMP/mirror-debs" base-files 12.4 amd64 'Essential: yes')"
	up_index "$1" bookworm && up_sign "$1" bookworm
}

ck_instance() {
	ci_url=$1
	shift
	ci=$(make_instance "$@")
	cat >>"$ci/debpipe.conf" <<EOC
Build-Mirror: $ci_url
Build-Suite: bookworm
Build-Keyring: $UP_KEYRING

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: installability
EOC
	echo "$ci"
}

ck_latest() { readlink "$1/public/latest" | sed 's,^snapshots/,,'; }

ck_result() {
	sqlite3 "$1/state/state.db" "SELECT result FROM results WHERE snapshot = '$2' AND job = '$3' ORDER BY id DESC LIMIT 1"
}

ck_has_result() { [ -n "$(ck_result "$@")" ]; }

ck_wait_result() { wait_for "$4" ck_has_result "$1" "$2" "$3"; }
