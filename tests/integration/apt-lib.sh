# tests/integration/apt-lib.sh - build upstream apt repositories on the fly
# for the apt-*.sh tests (after lib.sh).
#
#   up_key                          # throwaway signing key -> $UP_GH, $UP_FPR,
#                                   #   $UP_KEYRING (binary), $UP_KEYRING_ASC
#   up_init DIR SUITE               # empty repository
#   up_add DIR DEB                  # copy a .deb into pool/main
#   up_index DIR SUITE [ARCHS]      # Packages{,.gz,.xz}, Sources, Release
#   up_sign DIR SUITE               # InRelease + Release.gpg with $UP_FPR
#   up_watch INST NAME URL SUITE KEYRING [EXTRA-LINES]

# A driver run: apt-driver CONFIG sync|source ...
apt_driver() { "$top_builddir/tests/apt-driver" "$@"; }

up_key() {
	UP_GH=$(gpg_home)
	UP_FPR=$(gpg_key "$UP_GH" "Upstream Test <upstream@example.org>") ||
		bail "cannot create the upstream key"
	UP_KEYRING="$T_TMP/upstream-keyring.gpg"
	UP_KEYRING_ASC="$T_TMP/upstream-keyring.asc"
	gpg --homedir "$UP_GH" --batch --export "$UP_FPR" >"$UP_KEYRING"
	gpg --homedir "$UP_GH" --batch --armor --export "$UP_FPR" \
		>"$UP_KEYRING_ASC"
}

up_init() {
	mkdir -p "$1/pool/main" "$1/dists/$2/main/binary-amd64" \
		"$1/dists/$2/main/source"
}

up_add() { cp "$2" "$1/pool/main/"; }

# up_index DIR SUITE [VALID-UNTIL]
up_index() {
	(
		cd "$1" || exit 1
		d=dists/$2/main
		apt-ftparchive --arch amd64 packages pool/main \
			>"$d/binary-amd64/Packages" 2>/dev/null || exit 1
		apt-ftparchive sources pool/main \
			>"$d/source/Sources" 2>/dev/null || exit 1
		for f in "$d/binary-amd64/Packages" "$d/source/Sources"; do
			gzip -9nc "$f" >"$f.gz"
			xz -c "$f" >"$f.xz"
		done
		apt-ftparchive \
			-o APT::FTPArchive::Release::Origin=Upstream \
			-o APT::FTPArchive::Release::Suite="$2" \
			-o APT::FTPArchive::Release::Codename="$2" \
			-o APT::FTPArchive::Release::Components=main \
			-o APT::FTPArchive::Release::Architectures=amd64 \
			release "dists/$2" >"dists/$2/Release.new" || exit 1
		if [ -n "${3:-}" ]; then
			sed "/^Date:/a Valid-Until: $3" "dists/$2/Release.new" \
				>"dists/$2/Release"
			rm -f "dists/$2/Release.new"
		else
			mv "dists/$2/Release.new" "dists/$2/Release"
		fi
	)
}

up_sign() {
	r="$1/dists/$2"
	rm -f "$r/InRelease" "$r/Release.gpg"
	gpg --homedir "$UP_GH" --batch --yes --local-user "$UP_FPR" \
		--clearsign -o "$r/InRelease" "$r/Release" &&
	gpg --homedir "$UP_GH" --batch --yes --local-user "$UP_FPR" \
		--armor --detach-sign -o "$r/Release.gpg" "$r/Release"
}

# up_watch INST NAME URL SUITE KEYRING [EXTRA-LINES...]
up_watch() {
	uw_inst=$1 uw_name=$2 uw_url=$3 uw_suite=$4 uw_key=$5
	shift 5
	{
		echo "Watch: $uw_name"
		echo "Type: apt"
		echo "URL: $uw_url"
		echo "Suite: $uw_suite"
		echo "Signed-By: $uw_key"
		echo "Distribution: bookworm"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo
	} >>"$uw_inst/watch.d/$uw_name.watch"
}

# Number of regular files below a directory (0 if missing).
count_files() {
	if [ -d "$1" ]; then find "$1" -type f | wc -l | tr -d ' '; else echo 0; fi
}

# up_rerelease DIR SUITE: after editing Packages by hand, recompress it and
# write and sign a new Release (a signed but hostile upstream).
up_rerelease() {
	(
		cd "$1" || exit 1
		f=dists/$2/main/binary-amd64/Packages
		gzip -9nc "$f" >"$f.gz"
		xz -c "$f" >"$f.xz"
		apt-ftparchive \
			-o APT::FTPArchive::Release::Suite="$2" \
			-o APT::FTPArchive::Release::Codename="$2" \
			-o APT::FTPArchive::Release::Components=main \
			-o APT::FTPArchive::Release::Architectures=amd64 \
			release "dists/$2" >"dists/$2/Release.new" &&
		mv "dists/$2/Release.new" "dists/$2/Release"
	) && up_sign "$1" "$2"
}

# up_edit DIR SUITE SED-EXPR: edit the Packages index, re-release, re-sign.
up_edit() {
	sed -i -e "$3" "$1/dists/$2/main/binary-amd64/Packages" &&
	up_rerelease "$1" "$2"
}

# up_source DIR NAME VERSION TEXT: a 3.0 (quilt) source package NAME with
# one upstream patch, whose binary NAME (Architecture: all) installs
# /usr/share/NAME/greeting containing TEXT (then changed by the upstream
# patch's extra line); built with dpkg-source -b into DIR/pool/main.
up_source() {
	us_dir=$1 us_name=$2 us_ver=$3 us_text=$4
	us_up=${us_ver%-*}
	us_w=$(mktemp -d "$T_TMP/src.XXXXXX")
	us_s=$us_w/$us_name-$us_up
	mkdir -p "$us_s/debian/source" "$us_s/debian/patches"
	printf '%s\n' "$us_text" >"$us_s/greeting"
	echo "upstream notes" >"$us_s/NOTES"
	tar -C "$us_w" -czf "$us_w/${us_name}_$us_up.orig.tar.gz" "$us_name-$us_up"
	echo "3.0 (quilt)" >"$us_s/debian/source/format"
	cat >"$us_s/debian/control" <<EOC
Source: $us_name
Section: misc
Priority: optional
Maintainer: Upstream <upstream@example.org>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: $us_name
Architecture: all
Description: greeting for the debpipe tests
 Installs a greeting file.
EOC
	cat >"$us_s/debian/changelog" <<EOC
$us_name ($us_ver) unstable; urgency=medium

  * Upstream release.

 -- Upstream <upstream@example.org>  Sat, 21 Nov 2026 10:00:00 +0000
EOC
	printf '#!/usr/bin/make -f\n%%:\n\tdh $@\noverride_dh_auto_install:\n\tinstall -D -m644 greeting debian/%s/usr/share/%s/greeting\n\tinstall -D -m644 NOTES debian/%s/usr/share/%s/NOTES\n' \
		"$us_name" "$us_name" "$us_name" "$us_name" >"$us_s/debian/rules"
	chmod +x "$us_s/debian/rules"
	cat >"$us_s/debian/patches/01-notes.patch" <<'EOP'
Description: upstream Debian patch
--- a/NOTES
+++ b/NOTES
@@ -1 +1,2 @@
 upstream notes
+debian notes
EOP
	echo 01-notes.patch >"$us_s/debian/patches/series"
	(cd "$us_w" && dpkg-source -b "$us_name-$us_up" >/dev/null 2>&1) || return 1
	cp "$us_w/${us_name}_$us_up.orig.tar.gz" "$us_w/${us_name}_$us_ver.dsc" \
		"$us_w/${us_name}_$us_ver.debian.tar."* "$us_dir/pool/main/"
	rm -rf "$us_w"
}

# up_serve DIR: serve DIR over HTTP on 127.0.0.1 and set UP_PORT.  Unlike
# port=$(http_serve DIR), the server is registered for cleanup in this
# shell (a command substitution's t_bg is lost with its subshell).
up_serve() {
	UP_PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$1" "$UP_PORT" \
		>"$T_TMP/http.$UP_PORT.log" 2>&1 &
	t_bg $!
	wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$UP_PORT/" ||
		bail "http server on $UP_PORT did not start"
}
