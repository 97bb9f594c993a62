#!/bin/bash
# bench/apt-import.sh - import N packages from a local upstream apt
# repository with debpipe (Type: apt watch) and with `aptly mirror update`,
# then poll the unchanged upstream again with both.  Prints wall time and
# peak RSS of each step; results go to bench/README-apt.md.
#
#   bench/apt-import.sh [N]          (default 10000)
#
# Needs a built tree (top_builddir, default the current directory, with
# tests/apt-driver), apt-ftparchive, gpg, python3, aptly, /usr/bin/time.
# Everything happens in a temporary directory on 127.0.0.1.
set -eu
N=${1:-10000}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
driver=$top_builddir/tests/apt-driver
[ -x "$driver" ] || { echo "build tests/apt-driver first (make check TESTS=)" >&2; exit 2; }
for t in apt-ftparchive gpg python3 aptly /usr/bin/time curl xz; do
	command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apt-bench.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	gpgconf --homedir "$tmp/gnupg" --kill all >/dev/null 2>&1 || true
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
export LC_ALL=C.UTF-8 TZ=UTC

# measure LABEL CMD...: run CMD, print "LABEL  wall-s  peak-RSS-MiB".
measure() {
	label=$1; shift
	/usr/bin/time -f "%e %M" -o "$tmp/time.out" "$@" >"$tmp/$label.log" 2>&1 || {
		echo "$label failed:" >&2; tail -20 "$tmp/$label.log" >&2; exit 1; }
	read -r wall kb <"$tmp/time.out"
	printf '%-34s %8.2f s %8.1f MiB\n' "$label" "$wall" "$(echo "$kb / 1024" | bc -l)"
}

echo "# upstream: $N packages"
up=$tmp/upstream
mkdir -p "$up/pool/main" "$up/dists/stable/main/binary-amd64"
python3 "$top_srcdir/bench/gen-debs" -o "$up/pool/main" "$N" >/dev/null
(
	cd "$up"
	apt-ftparchive --arch amd64 packages pool/main \
		>dists/stable/main/binary-amd64/Packages 2>/dev/null
	xz -k dists/stable/main/binary-amd64/Packages
	gzip -9nk dists/stable/main/binary-amd64/Packages
	apt-ftparchive -o APT::FTPArchive::Release::Suite=stable \
		-o APT::FTPArchive::Release::Codename=stable \
		-o APT::FTPArchive::Release::Components=main \
		-o APT::FTPArchive::Release::Architectures=amd64 \
		release dists/stable >dists/stable/Release
)
mkdir -m 700 "$tmp/gnupg"
gpg --homedir "$tmp/gnupg" --batch --quiet --passphrase '' \
	--quick-generate-key "Bench <bench@example.org>" ed25519 sign never 2>/dev/null
gpg --homedir "$tmp/gnupg" --batch --yes --clearsign \
	-o "$up/dists/stable/InRelease" "$up/dists/stable/Release"
gpg --homedir "$tmp/gnupg" --batch --yes --armor --detach-sign \
	-o "$up/dists/stable/Release.gpg" "$up/dists/stable/Release"
gpg --homedir "$tmp/gnupg" --batch --export >"$tmp/keyring.gpg"
du -sh "$up/pool" | sed 's/^/# pool size: /'

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$up" "$port" \
	>"$tmp/http.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 50); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/dists/stable/Release" 2>/dev/null && break
	sleep 0.2
done
url=http://127.0.0.1:$port

# debpipe instance
inst=$tmp/debpipe
mkdir -p "$inst/watch.d"
cat >"$inst/debpipe.conf" <<EOF
State-Dir: $inst/state
Public-Dir: $inst/public
Public-URL: http://127.0.0.1:1/
Origin: bench
Label: bench

Distribution: bookworm
Components: main
Architectures: amd64 all
EOF
cat >"$inst/watch.d/up.watch" <<EOF
Watch: up
Type: apt
URL: $url
Suite: stable
Components: main
Architectures: amd64
Signed-By: $tmp/keyring.gpg
Distribution: bookworm
EOF

# aptly instance
mkdir -p "$tmp/aptly"
cat >"$tmp/aptly.conf" <<EOF
{ "rootDir": "$tmp/aptly", "downloadConcurrency": 4,
  "gpgDisableVerify": false, "gpgProvider": "gpg" }
EOF
aptly -config="$tmp/aptly.conf" mirror create -keyring="$tmp/keyring.gpg" \
	-architectures=amd64 up "$url" stable main >"$tmp/aptly-create.log" 2>&1 ||
	{ cat "$tmp/aptly-create.log" >&2; exit 1; }

printf '%-34s %10s %12s\n' "step" "wall" "peak RSS"
measure "debpipe: import $N" "$driver" "$inst/debpipe.conf" sync up
grep imported "$tmp/debpipe: import $N.log" | sed 's/^/#   /'
measure "aptly mirror update: $N" aptly -config="$tmp/aptly.conf" \
	mirror update -keyring="$tmp/keyring.gpg" up
req0=$(wc -l <"$tmp/http.log")
measure "debpipe: unchanged poll" "$driver" "$inst/debpipe.conf" sync up
req1=$(wc -l <"$tmp/http.log")
measure "aptly: unchanged mirror update" aptly -config="$tmp/aptly.conf" \
	mirror update -keyring="$tmp/keyring.gpg" up
req2=$(wc -l <"$tmp/http.log")
echo "# HTTP requests for the unchanged poll: debpipe $((req1 - req0)), aptly $((req2 - req1))"
grep -h "requests" "$tmp/debpipe: unchanged poll.log" | sed 's/^/#   debpipe /'
