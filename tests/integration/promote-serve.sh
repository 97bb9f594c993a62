#!/bin/sh
# promote-serve.sh - the promoter's public file server under the path of
# Public-URL: GET/HEAD only, ranges, conditional requests, content types,
# nothing outside Public-DIR, no hidden (half-written) snapshots, no
# directory listings; and the API beside it.
. "$top_srcdir/tests/integration/lib.sh"
need curl python3

plan 22

inst=$(make_instance "Serve-Public: yes")
conf=$inst/debpipe.conf
pub=$inst/public
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
sed -i "s|^Public-URL: .*|Public-URL: $url/debpipe/|" "$conf"
mkdir -p "$pub/snapshots/20261122T010000Z/dists/bookworm" "$pub/snapshots/.tmp-20261122T020000Z" "$pub/pool/main/h/hello"
printf '0123456789abcdef\n' >"$pub/snapshots/20261122T010000Z/dists/bookworm/InRelease"
printf 'half written\n' >"$pub/snapshots/.tmp-20261122T020000Z/InRelease"
printf 'deb\n' >"$pub/pool/main/h/hello/hello_1.0_amd64.deb"
ln -s snapshots/20261122T010000Z "$pub/latest"
ln -s ../../../../../secret "$pub/pool/main/h/hello/evil.deb"
printf 'secret\n' >"$inst/secret"
chmod 600 "$inst/tokens"

debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"

get() {	# get PATH [curl args]: "status|body"
	p=$1; shift
	printf '%s|%s' "$(curl -s -o "$T_TMP/body" -w '%{http_code}' --path-as-is "$@" "$url$p")" "$(cat "$T_TMP/body")"
}
hdr() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }

ir=/debpipe/latest/dists/bookworm/InRelease
is "$(get $ir)" "200|0123456789abcdef" "GET under the Public-URL path"
is "$(get /latest/dists/bookworm/InRelease | cut -d'|' -f1)" 404 "not outside that path"
like "$(hdr "$url$ir")" '^Content-Type: text/plain' "InRelease is text/plain"
like "$(hdr "$url/debpipe/pool/main/h/hello/hello_1.0_amd64.deb")" '^Content-Type: application/vnd.debian.binary-package' ".deb content type"
like "$(hdr -I "$url$ir")" '^Content-Length: 17$' "HEAD gives the length"
is "$(curl -s -I -o /dev/null -w '%{http_code}' "$url$ir")" 200 "HEAD answers 200"
is "$(get $ir -r 10-)" "206|abcdef" "Range A-"
is "$(get $ir -r -4)" "206|def" "Range -N"
like "$(hdr -r 2-4 "$url$ir")" '^Content-Range: bytes 2-4/17$' "Content-Range"
is "$(get $ir -r 100-200 | cut -d'|' -f1)" 416 "unsatisfiable range: 416"
is "$(get $ir -r 0-1,4-5 | cut -d'|' -f1)" 200 "several ranges: the whole file"
is "$(get $ir -H 'If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT' | cut -d'|' -f1)" 304 "not modified: 304"
is "$(get $ir -H 'If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT' | cut -d'|' -f1)" 200 "modified since: 200"
is "$(get /debpipe/snapshots/.tmp-20261122T020000Z/InRelease | cut -d'|' -f1)" 404 "half-written snapshot is invisible"
is "$(get /debpipe/../secret | cut -d'|' -f1)" 404 "'..' refused"
is "$(get /debpipe/latest/..%2f..%2fsecret | cut -d'|' -f1)" 404 "encoded '..' refused"
is "$(get /debpipe/pool/main/h/hello/evil.deb | cut -d'|' -f1)" 403 "symlink leaving Public-Dir: 403"
is "$(get /debpipe/ | cut -d'|' -f1)" 403 "no directory listing"
is "$(get /debpipe/snapshots | cut -d'|' -f1)" 403 "a directory without a slash: 403"
is "$(get $ir -X POST -d x | cut -d'|' -f1)" 405 "POST to the tree: 405"
is "$(get /api/v1/environments | cut -d'|' -f1)" 200 "the API beside the tree"

done_testing
