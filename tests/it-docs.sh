#!/bin/sh
# Every option the parser accepts is in --help (the help is generated
# from the parser's own tables) and in man/sockit.1; every option the man
# page names exists; the man page is lint-clean.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

man="${SOCKIT_SRCDIR:-.}/man/sockit.1"
[ -s "$man" ] || fail "no man page at $man"

for c in tcp-server tcp-client udp-server udp-client unix-server \
    unix-client "ssh-lite keygen" "ssh-lite server" "ssh-lite exec"; do
	# shellcheck disable=SC2086
	"$SOCKIT" help $c > "$T/help" || fail "help $c failed"
	grep -oE -- '--[a-z0-9][a-z0-9-]*' "$T/help" | sort -u > "$T/long"
	grep -oE -- '^  -[a-zA-Z0-9]' "$T/help" | tr -d ' -' | sort -u \
	    > "$T/short"
	[ -s "$T/long" ] || fail "help $c lists no options"
	while read -r opt; do
		name=${opt#--}
		grep -q -- "Fl \\\\-$name\\b" "$man" ||
		    fail "$c: option $opt is not in the man page"
	done < "$T/long"
	while read -r letter; do
		grep -qE -- "Fl ([a-zA-Z0-9] , )*$letter( |$)" "$man" ||
		    fail "$c: option -$letter is not in the man page"
	done < "$T/short"
	cat "$T/long" >> "$T/all"
done
"$SOCKIT" --help | grep -oE -- '--[a-z0-9][a-z0-9-]*' >> "$T/all"
sort -u "$T/all" > "$T/known"

# The other way: options the man page documents must exist.
grep -oE -- 'Fl \\-[a-z0-9][a-z0-9-]*' "$man" | sed 's/^Fl \\-/--/' |
    sort -u > "$T/documented"
extra=$(comm -23 "$T/documented" "$T/known")
[ -z "$extra" ] || fail "documented but not accepted: $extra"

if command -v mandoc >/dev/null 2>&1; then
	mandoc -T lint -W warning "$man" > "$T/lint" 2>&1 ||
	    fail "mandoc -T lint: $(cat "$T/lint")"
fi
if command -v groff >/dev/null 2>&1; then
	groff -ww -z -mandoc "$man" > "$T/groff" 2>&1
	[ ! -s "$T/groff" ] || fail "groff warnings: $(cat "$T/groff")"
fi
exit 0
