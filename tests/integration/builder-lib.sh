# tests/integration/builder-lib.sh - helpers for the builder tests.

# bl_commit REPO DATE MESSAGE: commit everything with a fixed date.
bl_commit() {
	git -C "$1" add -A &&
	GIT_AUTHOR_DATE=$2 GIT_COMMITTER_DATE=$2 \
	GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.org \
	GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.org \
		git -C "$1" commit -q -m "$3"
}

# bl_make_repo DIR SOURCE VERSION DATE [EXTRA-RULES]: a git repository
# (branch main) holding a small real source package: debian/control
# (debhelper-compat 13), rules with dh, changelog, 3.0 (native), one
# Architecture: all binary package installing hello.txt.
bl_make_repo() {
	mkdir -p "$1/debian/source"
	git init -q -b main "$1"
	cat >"$1/debian/control" <<EOC
Source: $2
Section: misc
Priority: optional
Maintainer: Test <test@example.org>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: $2
Architecture: all
Depends: \${misc:Depends}
Description: debpipe test package $2
 Built by the debpipe test suite.
EOC
	printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$1/debian/rules"
	if [ -n "${5:-}" ]; then printf '\n%s\n' "$5" >>"$1/debian/rules"; fi
	chmod +x "$1/debian/rules"
	cat >"$1/debian/changelog" <<EOC
$2 ($3) unstable; urgency=medium

  * Initial release.

 -- Test <test@example.org>  Sun, 01 Nov 2026 00:00:00 +0000
EOC
	echo "3.0 (native)" >"$1/debian/source/format"
	echo "hello.txt usr/share/$2/" >"$1/debian/install"
	echo hello >"$1/hello.txt"
	bl_commit "$1" "$4" "initial $2 $3"
}
