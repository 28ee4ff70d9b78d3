#!/bin/sh
# The ssh-lite server's audit line is exactly what man/sockit.1 shows:
# the command of the man page's example (read from the page, the
# "$ " block after "One audit line") makes the server log the example's
# line, except for the peer's port and the duration.  Every audit line,
# in text and in JSON, has the documented form.
#
# SOCKIT_MAN=FILE checks another copy of the page (default
# "$SOCKIT_SRCDIR/man/sockit.1").
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

man="${SOCKIT_MAN:-${SOCKIT_SRCDIR:-.}/man/sockit.1}"
[ -s "$man" ] || fail "no man page at $man"

# The documented form: peer, argv, result, duration, bytes in and out.
FORM='^exec 127\.0\.0\.1:[0-9]+ argv=\[.*\] '
FORM="$FORM"'(status=[0-9]+|signal=[0-9]+|timeout)( client-gone)? '
FORM="$FORM"'[0-9]+\.[0-9]{3}s in=[0-9]+ out=[0-9]+$'

# The two literal blocks after "One audit line": the command, then the
# line it logs.  mdoc escapes are decoded, "\" continuations joined.
awk '
	/^One audit line/ { on = 1; next }
	on && /^\.Bd -literal/ { inblk = 1; nblk++; next }
	on && inblk && /^\.Ed/ { inblk = 0; if (nblk == 2) exit; next }
	on && inblk { print nblk ":" $0 }
' "$man" | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g' >"$T/blocks"
sed -n 's/^1://p' "$T/blocks" | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' \
    >"$T/cmd"
sed -n 's/^2://p' "$T/blocks" >"$T/want"
[ "$(wc -l <"$T/cmd")" -eq 1 ] && grep -q '^\$ .*sockit ssh-lite exec ' \
    "$T/cmd" || fail "no '\$ ... sockit ssh-lite exec' command before the" \
    "audit line example in $man: '$(cat "$T/cmd")'"
[ "$(wc -l <"$T/want")" -eq 1 ] ||
    fail "not one audit line in the example of $man: '$(cat "$T/want")'"
grep -Eq "$FORM" "$T/want" ||
    fail "the man page's audit line '$(cat "$T/want")' is not of the form $FORM"

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

# The example's command, on this server: its port and key file.
mkdir "$T/bin" && ln -s "$SOCKIT" "$T/bin/sockit" || fail "cannot link sockit"
sed -e 's/^\$ //' -e "s/ 127\.0\.0\.1 2222 / 127.0.0.1 $srv_PORT /" \
    -e "s| --key-file key | --key-file $T/key |" "$T/cmd" >"$T/cmd.sh"
grep -q " $srv_PORT .*--key-file $T/key " "$T/cmd.sh" ||
    fail "the example does not use 127.0.0.1 2222 and --key-file key:" \
	"$(cat "$T/cmd")"
PATH="$T/bin:$PATH" sh "$T/cmd.sh" </dev/null >"$T/out" 2>"$T/err" ||
    fail "the example's command failed: $(cat "$T/cmd.sh"): $(cat "$T/err")"
poll_until 5 grep -q '^exec ' "$T/srv.err" ||
    fail "no audit line: $(cat "$T/srv.err")"
got=$(grep '^exec ' "$T/srv.err")

# Only the peer's port and the duration may differ.
norm() {
	sed -E -e 's/^exec 127\.0\.0\.1:[0-9]+ /exec 127.0.0.1:PORT /' \
	    -e 's/ [0-9]+\.[0-9]{3}s in=/ S.SSSs in=/'
}
[ "$(echo "$got" | norm)" = "$(norm <"$T/want")" ] ||
    fail "the server logged '$got', the man page shows '$(cat "$T/want")'"

# Other results: a signal, a timeout, escaped argv bytes; text and JSON.
X() {
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
	    "$@" </dev/null >/dev/null 2>&1
}
X -- sh -c 'kill -TERM $$'
X --timeout 0.2 -- sh -c 'exec sleep 10'
X -- echo "$(printf 'a\tb\001')"
poll_until 5 sh -c "[ \$(grep -c '^exec ' '$T/srv.err') -ge 4 ]" ||
    fail "not 4 audit lines: $(cat "$T/srv.err")"
grep '^exec ' "$T/srv.err" >"$T/lines"
if grep -Evq "$FORM" "$T/lines"; then
	fail "audit lines not of the documented form:" \
	    "$(grep -Ev "$FORM" "$T/lines")"
fi
grep -q ' argv=\[sh -c kill -TERM \$\$\] signal=15 ' "$T/lines" ||
    fail "no signal=15 line: $(cat "$T/lines")"
grep -q ' argv=\[sh -c exec sleep 10\] timeout ' "$T/lines" ||
    fail "no timeout line: $(cat "$T/lines")"
grep -Fq ' argv=[echo a\tb\x01] status=0 ' "$T/lines" ||
    fail "argv not escaped: $(cat "$T/lines")"

# JSON: the same line is the msg of an info event.
start_server js --log-format json ssh-lite server 0 --key-file "$T/key"
echo hello | "$SOCKIT" ssh-lite exec 127.0.0.1 "$js_PORT" \
    --key-file "$T/key" -- tr a-z A-Z >/dev/null 2>&1 ||
    fail "exec on the JSON server failed"
poll_until 5 grep -q '"msg":"exec ' "$T/js.err" ||
    fail "no JSON audit line: $(cat "$T/js.err")"
msg=$(sed -n 's/^{.*"event":"info".*"msg":"\(exec [^"]*\)"}$/\1/p' \
    "$T/js.err")
echo "$msg" | grep -Eq "$FORM" ||
    fail "JSON audit msg '$msg' not of the form: $(cat "$T/js.err")"
[ "$(echo "$msg" | norm)" = "$(norm <"$T/want")" ] ||
    fail "JSON audit msg '$msg', the man page shows '$(cat "$T/want")'"
exit 0
