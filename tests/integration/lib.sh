# tests/integration/lib.sh - shared helpers for integration tests (TAP).
#
#   . "$top_srcdir/tests/integration/lib.sh"
#   plan 3
#   inst=$(make_instance)             # $inst/debpipe.conf, state, public
#   ok "status works" debpipe --config "$inst/debpipe.conf" status
#   is "$(cat f)" "expected" "file holds the expected text"
#   done_testing
#
# Every helper that starts something registers it for cleanup at exit.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
export LC_ALL=C.UTF-8 TZ=UTC

T_NUM=0
T_FAILED=0
T_PLANNED=
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/debpipe-test.XXXXXX")
T_PIDS=
T_GNUPGHOMES=

t_cleanup() {
	# Whatever the caller's set -e: every step runs (a pid that is gone
	# already must not end the clean-up before the temporary tree goes).
	set +e
	# t_bg may run in a $(...) subshell: the pids are kept in a file.
	T_PIDS="$T_PIDS $(cat "$T_TMP/pids" 2>/dev/null)"
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	for h in $T_GNUPGHOMES; do
		gpgconf --homedir "$h" --kill all >/dev/null 2>&1
	done
	if [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T_TMP"
	else
		echo "# kept $T_TMP" >&2
	fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# Register a pid to be killed at exit (works from subshells too).
t_bg() { T_PIDS="$T_PIDS $1"; echo "$1" >>"$T_TMP/pids"; }

plan() { T_PLANNED=$1; echo "1..$1"; }

t_result() {	# t_result STATUS DESC
	T_NUM=$((T_NUM + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T_NUM - $2"
	else
		echo "not ok $T_NUM - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# ok DESC CMD...: passes when CMD exits 0 (its output goes to the log).
ok() {
	d=$1; shift
	if "$@" >"$T_TMP/last.out" 2>&1; then
		t_result 0 "$d"
	else
		t_result 1 "$d"
		echo "#   command failed: $*" ; sed 's/^/#   /' "$T_TMP/last.out" | tail -40
	fi
}

# fails DESC CMD...: passes when CMD exits non-zero.
fails() {
	d=$1; shift
	if "$@" >"$T_TMP/last.out" 2>&1; then
		t_result 1 "$d"
		echo "#   command unexpectedly succeeded: $*"
		sed 's/^/#   /' "$T_TMP/last.out" | tail -20
	else
		t_result 0 "$d"
	fi
}

# exits N DESC CMD...: passes when CMD exits with status N.
exits() {
	want=$1; d=$2; shift 2
	"$@" >"$T_TMP/last.out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		t_result 0 "$d"
	else
		t_result 1 "$d"
		echo "#   expected exit $want, got $got: $*"
		sed 's/^/#   /' "$T_TMP/last.out" | tail -20
	fi
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then
		t_result 0 "$3"
	else
		t_result 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}

# like TEXT REGEX DESC (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_result 0 "$3"
	else
		t_result 1 "$3"
		echo "#   '$1'"
		echo "#   does not match /$2/"
	fi
}

# unlike TEXT REGEX DESC
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_result 1 "$3"
		echo "#   '$1'"
		echo "#   matches /$2/"
	else
		t_result 0 "$3"
	fi
}

# last_output: what the last ok/fails/exits command printed.
last_output() { cat "$T_TMP/last.out"; }

done_testing() {
	if [ -n "$T_PLANNED" ] && [ "$T_NUM" != "$T_PLANNED" ]; then
		echo "# planned $T_PLANNED tests but ran $T_NUM"
		exit 1
	fi
	[ -z "$T_PLANNED" ] && echo "1..$T_NUM"
	[ "$T_FAILED" = 0 ]
	exit $?
}

# bail REASON: abort the whole test file.
bail() { echo "Bail out! $*"; exit 1; }

# need TOOL...: in CI a missing tool is a failure, locally a skip.
need() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			if [ -n "${CI:-}" ]; then
				bail "required tool '$tool' is missing (./bootstrap installs it)"
			fi
			echo "1..0 # SKIP $tool not installed"
			exit 0
		fi
	done
}

# free_port: print a free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
	w_end=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$w_end" ] && return 1
		sleep 0.2
	done
	return 0
}

# make_instance [EXTRA-GLOBAL-FIELDS]: create an instance directory with a
# debpipe.conf for distribution bookworm (main, amd64 + all), and print
# its path.  It says "Builder: host" unless a field names another Builder.
# More stanzas can be appended to $inst/debpipe.conf.
make_instance() {
	inst=$(mktemp -d "$T_TMP/inst.XXXXXX")
	mkdir -p "$inst/watch.d"
	port=$(free_port)
	{
		echo "State-Dir: $inst/state"
		echo "Public-Dir: $inst/public"
		echo "Public-URL: http://127.0.0.1:$port"
		echo "Listen: 127.0.0.1:$port"
		echo "Origin: debpipe-test"
		echo "Label: debpipe test"
		echo "Snapshot-Interval: 10s"
		echo "Keep-Snapshots: 10"
		echo "Tokens-File: $inst/tokens"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		# Builds on the host (bubblewrap) unless the test asks for the
		# clean-room default (Builder: sbuild): sbuild takes longer.
		case " $* " in *" Builder:"*) ;; *) echo "Builder: host" ;; esac
		echo
		echo "Distribution: bookworm"
		echo "Components: main"
		echo "Architectures: amd64 all"
	} >"$inst/debpipe.conf"
	: >"$inst/tokens"
	chmod 600 "$inst/tokens"
	T_GNUPGHOMES="$T_GNUPGHOMES $inst/state/gnupg"
	echo "$inst"
}

# make_deb OUTDIR NAME VERSION [ARCH] [EXTRA-CONTROL-LINES]: build a real
# .deb with dpkg-deb and print its path.
make_deb() {
	md_out=$1 md_name=$2 md_ver=$3 md_arch=${4:-amd64} md_extra=${5:-}
	md_dir=$(mktemp -d "$T_TMP/deb.XXXXXX")
	mkdir -p "$md_dir/DEBIAN" "$md_dir/usr/share/doc/$md_name"
	echo "$md_name $md_ver" >"$md_dir/usr/share/doc/$md_name/README"
	{
		echo "Package: $md_name"
		echo "Version: $md_ver"
		echo "Architecture: $md_arch"
		echo "Maintainer: Test <test@example.org>"
		echo "Section: misc"
		echo "Priority: optional"
		[ -n "$md_extra" ] && printf '%s\n' "$md_extra"
		echo "Description: test package $md_name"
		echo " A package made by the debpipe test suite."
	} >"$md_dir/DEBIAN/control"
	mkdir -p "$md_out"
	md_file="$md_out/${md_name}_$(echo "$md_ver" | sed 's/^[0-9]*://')_$md_arch.deb"
	dpkg-deb --root-owner-group -Zgzip --build "$md_dir" "$md_file" >/dev/null || return 1
	rm -rf "$md_dir"
	echo "$md_file"
}

# http_serve DIR: serve DIR on 127.0.0.1 with python3, print the port.
http_serve() {
	hs_port=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$1" "$hs_port" \
		>"$T_TMP/http.$hs_port.log" 2>&1 &
	t_bg $!
	wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$hs_port/" || \
		bail "http server on $hs_port did not start"
	echo "$hs_port"
}

# apt_root URL SUITE COMPONENT KEYRING: a private apt configuration (never
# the system's); prints the directory.  Use apt_get DIR ARGS / apt_cache.
# "apt_get DIR install PKG" really installs, into DIR/root (dpkg --root).
apt_root() {
	ar=$(mktemp -d "$T_TMP/apt.XXXXXX")
	mkdir -p "$ar/etc/apt/sources.list.d" "$ar/etc/apt/preferences.d" \
		"$ar/etc/apt/apt.conf.d" "$ar/etc/apt/trusted.gpg.d" \
		"$ar/var/lib/apt/lists/partial" "$ar/var/cache/apt/archives/partial" \
		"$ar/var/lib/dpkg" "$ar/log" \
		"$ar/root/var/lib/dpkg/info" "$ar/root/var/lib/dpkg/updates" \
		"$ar/root/var/lib/dpkg/triggers"
	: >"$ar/var/lib/dpkg/status"
	: >"$ar/root/var/lib/dpkg/status"
	echo "deb [signed-by=$4] $1 $2 $3" >"$ar/etc/apt/sources.list"
	cat >"$ar/apt.conf" <<EOC
Dir "$ar/";
Dir::State "$ar/var/lib/apt";
Dir::State::status "$ar/root/var/lib/dpkg/status";
Dir::Cache "$ar/var/cache/apt";
Dir::Etc "$ar/etc/apt";
Dir::Etc::SourceList "$ar/etc/apt/sources.list";
Dir::Etc::SourceParts "$ar/etc/apt/sources.list.d";
Dir::Etc::TrustedParts "$ar/etc/apt/trusted.gpg.d";
Dir::Log "$ar/log";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Retries "0";
Debug::NoLocking "true";
DPkg::Options { "--root=$ar/root"; "--force-script-chrootless"; "--log=$ar/log/dpkg.log"; };
EOC
	echo "$ar"
}
apt_get() { ar=$1; shift; APT_CONFIG="$ar/apt.conf" apt-get -q "$@"; }
apt_cache() { ar=$1; shift; APT_CONFIG="$ar/apt.conf" apt-cache "$@"; }

# gpg_home: a throwaway GNUPGHOME (cleaned up at exit); prints the path.
gpg_home() {
	gh=$(mktemp -d "$T_TMP/gnupg.XXXXXX")
	chmod 700 "$gh"
	T_GNUPGHOMES="$T_GNUPGHOMES $gh"
	echo "$gh"
}

# gpg_key HOME UID: make an unprotected signing key, print its fingerprint.
gpg_key() {
	gpg --homedir "$1" --batch --quiet --passphrase '' \
		--quick-generate-key "$2" ed25519 sign never >/dev/null 2>&1 || return 1
	gpg --homedir "$1" --batch --with-colons --list-secret-keys 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }'
}
