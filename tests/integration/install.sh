#!/bin/sh
# Install the built debpipe .deb into a minimal Debian 12 (bookworm) chroot
# made with mmdebstrap from this machine's apt mirror, and use it there:
# the user and directories of postinst, the shipped configuration, the
# programs, "debpipe status" on a small instance, then purge.
#
# Needs root (chroot, file ownership) and the Debian mirror of
# /etc/apt/sources.list{,.d} (or $DEBPIPE_TEST_MIRROR).  The chroot, with
# the package's dependencies already in it, is cached as a tarball in
# /var/cache/debpipe-tests ($DEBPIPE_TEST_CACHE), keyed by mirror and
# dependency list, so a rerun needs no network.
# Uses the .deb that package.sh leaves in tests/integration/debs/ (runs
# package.sh first when there is none).
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && bail "install.sh must run as root"
	echo "1..0 # SKIP install.sh needs root (chroot, file ownership)"
	exit 0
fi
need mmdebstrap dpkg-deb chroot sha256sum

plan 34

suite=bookworm
cache=${DEBPIPE_TEST_CACHE:-/var/cache/debpipe-tests}
debs=$top_builddir/tests/integration/debs
deb=$(ls -t "$debs"/debpipe_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	echo "# no .deb in $debs: running package.sh first"
	"$top_srcdir/tests/integration/package.sh" >"$T_TMP/package.log" 2>&1 ||
		{ sed 's/^/# /' "$T_TMP/package.log" | tail -40; bail "package.sh failed"; }
	deb=$(ls -t "$debs"/debpipe_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || bail "package.sh left no .deb in $debs"
fi
echo "# package: $deb"

# --- the mirror ------------------------------------------------------------------
# The first enabled "deb" source serving $suite: deb822 .sources stanzas,
# then one-line .list entries.
find_mirror() {
	if [ -n "${DEBPIPE_TEST_MIRROR:-}" ]; then
		echo "$DEBPIPE_TEST_MIRROR"
		return
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
				    (" " suites " ") ~ (" " suite " ") && uris != "") {
					split(uris, u, " "); print u[1]; found = 1; exit
				}
				types = suites = uris = enabled = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[^ \t]/ {
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") uris = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { if (!found) flush() }' "$f"
	done | head -n 1 | grep . && return
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$suite" '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /\]$/ && $2 ~ /^\[/) i++
			if ($(i + 1) == suite) { print $i; exit }
		}'
}
mirror=$(find_mirror)
[ -n "$mirror" ] || bail "no apt source for $suite in /etc/apt (set DEBPIPE_TEST_MIRROR)"
echo "# mirror: $mirror"

# --- the cached chroot ---------------------------------------------------------
# The package's Depends (first alternative, no versions) go into the chroot
# tarball, so installing the .deb later needs no network.
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' \
	-e 's/(.*)//' -e 's/\[.*\]//' -e 's/:any//' -e 's/[[:space:]]//g' |
	grep . | sort -u | tr '\n' ',' | sed 's/,$//')
key=$(printf '%s\n' "$suite" "$mirror" "$deps" | sha256sum | cut -c1-16)
tarball=$cache/$suite-$key.tar
if [ -f "$tarball" ]; then
	echo "# cached chroot: $tarball"
else
	mkdir -p "$cache"
	t0=$(date +%s)
	# (mmdebstrap picks the output format from the name: keep .tar last)
	tmp_tar=$cache/.new-$suite-$key.tar
	if mmdebstrap --variant=apt --include="$deps" "$suite" "$tmp_tar" \
	    "deb $mirror $suite main" >"$T_TMP/mmdebstrap.log" 2>&1; then
		mv "$tmp_tar" "$tarball"
		# Old chroots (other dependency lists) go after a month.
		find "$cache" -name "$suite-*.tar" -mtime +30 -delete 2>/dev/null
	else
		rm -rf "$tmp_tar"
		sed 's/^/# /' "$T_TMP/mmdebstrap.log" | tail -30
	fi
	echo "# mmdebstrap took $(( $(date +%s) - t0 ))s"
fi
[ -f "$tarball" ] || bail "mmdebstrap could not make the $suite chroot from $mirror"
ok "a $suite chroot with the dependencies ($deps)" test -s "$tarball"

root=$T_TMP/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball" || bail "cannot unpack $tarball"
cp "$deb" "$root/tmp/debpipe.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
as_debpipe() { chroot --userspec=debpipe:debpipe "$root" env -i \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/debpipe LC_ALL=C.UTF-8 "$@"; }

# --- install -------------------------------------------------------------------
ok "apt-get install ./debpipe.deb in the chroot" \
	in_root apt-get install -y --no-install-recommends /tmp/debpipe.deb
ok "dpkg says debpipe is installed" in_root dpkg-query -W -f='${Status}' debpipe
like "$(in_root getent passwd debpipe)" \
	"^debpipe:x:[0-9]+:[0-9]+:[^:]*:/var/lib/debpipe:/usr/sbin/nologin$" \
	"system user debpipe, home /var/lib/debpipe, no shell"
uid=$(in_root id -u debpipe)
[ "${uid:-1000}" -lt 1000 ]; is $? 0 "debpipe is a system user (uid $uid)"
is "$(in_root stat -c '%a %U:%G' /var/lib/debpipe)" "750 debpipe:debpipe" \
	"/var/lib/debpipe is 0750 debpipe:debpipe"
is "$(in_root stat -c '%a %U:%G' /srv/debpipe)" "755 debpipe:debpipe" \
	"/srv/debpipe is 0755 debpipe:debpipe"
is "$(in_root stat -c '%a %U:%G' /etc/debpipe/tokens)" "600 debpipe:debpipe" \
	"/etc/debpipe/tokens is 0600 debpipe:debpipe"
ok "the units are installed" in_root test -f /lib/systemd/system/debpipe-builder.service \
	-a -f /lib/systemd/system/debpipe-snapshotter.service \
	-a -f /lib/systemd/system/debpipe-promoter.service
is "$(ls "$root"/etc/systemd/system/multi-user.target.wants 2>/dev/null | grep -c debpipe)" 0 \
	"the units are not enabled before the admin configured them"

# --- use it --------------------------------------------------------------------
if [ -x "$root/usr/bin/debpipe" ]; then
	ok "debpipe --version" in_root debpipe --version
	like "$(last_output)" "^debpipe [0-9]" "it prints the version"

	mkdir -p "$root/tmp/inst"
	cat >"$root/tmp/inst/debpipe.conf" <<-EOF
	State-Dir: /tmp/inst/state
	Public-Dir: /tmp/inst/public
	Public-URL: http://127.0.0.1:8742
	Listen: 127.0.0.1:8742
	Origin: debpipe-test
	Label: debpipe install test
	Snapshot-Interval: 15m
	Tokens-File: /tmp/inst/tokens

	Distribution: bookworm
	Components: main
	Architectures: amd64 all

	Environment: test
	Auto-Promote: yes
	EOF
	mkdir -p "$root/tmp/inst/watch.d"
	: >"$root/tmp/inst/tokens"
	chmod 600 "$root/tmp/inst/tokens"
	ok "debpipe status on a small instance" \
		in_root debpipe --config /tmp/inst/debpipe.conf status
	in_root debpipe --config /tmp/inst/debpipe.conf --json status \
		>"$T_TMP/status.json" 2>&1
	ok "debpipe status --json on it is JSON" python3 -m json.tool "$T_TMP/status.json"
	# The shipped /etc/debpipe/debpipe.conf and watch.d examples parse,
	# as the daemons' user sees them.
	ok "debpipe status as debpipe on the shipped configuration" as_debpipe debpipe status
else
	for d in "debpipe --version" "it prints the version" \
	    "debpipe status on a small instance" "debpipe status --json" \
	    "debpipe status on the shipped configuration"; do
		if [ -n "${CI:-}" ]; then
			t_result 1 "$d (no /usr/bin/debpipe in the package)"
		else
			T_NUM=$((T_NUM + 1))
			echo "ok $T_NUM - $d # SKIP /usr/bin/debpipe is not in the package yet"
		fi
	done
fi
for p in /usr/bin/snapshot-promote /usr/sbin/debpipe-builder \
    /usr/sbin/debpipe-snapshotter /usr/sbin/debpipe-promoter; do
	if [ -x "$root$p" ]; then
		ok "$p --help" in_root "$p" --help
	elif [ -n "${CI:-}" ]; then
		t_result 1 "$p is installed"
	else
		T_NUM=$((T_NUM + 1))
		echo "ok $T_NUM - $p --help # SKIP $p is not in the package yet"
	fi
done

# --- the packaged layout at work ------------------------------------------------
# As the daemons' user, with the shipped configuration: key, a package, a
# snapshot, the test environment.  Shows that the user, the directories
# and their modes fit what the programs need.
if [ -x "$root/usr/bin/debpipe" ] && [ -x "$root/usr/sbin/debpipe-snapshotter" ] &&
   [ -x "$root/usr/sbin/debpipe-promoter" ]; then
	ok "debpipe key init as debpipe" as_debpipe debpipe key init
	ok "the public key is in /srv/debpipe" \
		test -s "$root/srv/debpipe/debpipe-archive-keyring.gpg"
	hello=$(make_deb "$T_TMP/debs" debpipe-hello 1.0-1 all) || bail "make_deb failed"
	cp "$hello" "$root/tmp/debpipe-hello_1.0-1_all.deb"
	ok "debpipe add as debpipe" as_debpipe debpipe add \
		/tmp/debpipe-hello_1.0-1_all.deb --dist bookworm
	ok "debpipe-snapshotter --once as debpipe" as_debpipe debpipe-snapshotter --once
	ok "a signed snapshot is published under /srv/debpipe" sh -c \
		'ls "$1"/srv/debpipe/snapshots/*/dists/bookworm/InRelease' sh "$root"
	ok "the snapshot lists the added package (arch all in binary-amd64)" sh -c \
		'grep -q "^Package: debpipe-hello$" "$1"/srv/debpipe/snapshots/*/dists/bookworm/main/binary-amd64/Packages' \
		sh "$root"
	ok "debpipe-promoter --once as debpipe" as_debpipe debpipe-promoter --once
	ok "the test environment (Auto-Promote) points at it" \
		test -f "$root/srv/debpipe/test/dists/bookworm/InRelease"
	as_debpipe gpgconf --homedir /var/lib/debpipe/gnupg --kill all >/dev/null 2>&1
else
	for d in "key init" "public key" "add" "snapshotter --once" "snapshot" \
	    "package in the snapshot" "promoter --once" "test environment"; do
		if [ -n "${CI:-}" ]; then
			t_result 1 "$d (a program is missing from the package)"
		else
			T_NUM=$((T_NUM + 1))
			echo "ok $T_NUM - $d # SKIP a program is not in the package yet"
		fi
	done
fi

# --- reinstall, remove, purge ---------------------------------------------------
echo "# a site token" >>"$root/etc/debpipe/tokens"
ok "apt-get install --reinstall (postinst again, user and dirs there)" \
	in_root apt-get install -y --reinstall --no-install-recommends /tmp/debpipe.deb
is "$(in_root stat -c '%a %U:%G' /etc/debpipe/tokens):$(tail -n 1 "$root/etc/debpipe/tokens")" \
	"600 debpipe:debpipe:# a site token" "the tokens file is kept as it was"
ok "apt-get remove debpipe" in_root apt-get remove -y debpipe
ok "remove keeps the user, the state, the public tree and the tokens" \
	in_root sh -c 'getent passwd debpipe && test -d /var/lib/debpipe &&
		test -d /srv/debpipe && test -f /etc/debpipe/tokens &&
		test -f /etc/debpipe/debpipe.conf'
ok "apt-get purge debpipe" in_root apt-get purge -y debpipe
fails "the debpipe user is gone after purge" in_root getent passwd debpipe
ok "state, public tree and /etc/debpipe are gone after purge" \
	in_root sh -c '! test -e /var/lib/debpipe && ! test -e /srv/debpipe && ! test -e /etc/debpipe'

done_testing
