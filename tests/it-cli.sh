#!/bin/sh
# The command line: --version, --help, help COMMAND, usage errors (exit 2);
# a closed stdin, stdout or stderr at start is /dev/null.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

"$SOCKIT" --version | grep -Eq '^sockit [0-9]+\.[0-9]+' ||
    fail "--version does not print the version"
"$SOCKIT" --help > "$T/help" || fail "--help exited non-zero"
for c in tcp-server tcp-client udp-server udp-client unix-server \
    unix-client ssh-lite; do
	grep -q "^  $c " "$T/help" || fail "--help does not list $c"
	expect_rc 0 "$SOCKIT" "$c" --help > "$T/chelp"
	grep -q "^usage: sockit $c" "$T/chelp" || fail "$c --help: no usage"
	expect_rc 0 "$SOCKIT" help "$c" > "$T/chelp2"
	cmp -s "$T/chelp" "$T/chelp2" || fail "help $c differs from $c --help"
done
grep -q "Exit status" "$T/help" || fail "--help has no exit status table"

# Unknown command and option: one line on stderr, exit 2.
expect_rc 2 "$SOCKIT" frobnicate 2> "$T/err"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "unknown command: not one line"
grep -q 'unknown command "frobnicate"' "$T/err" || fail "bad message"
expect_rc 2 "$SOCKIT" tcp-client --no-such-option 2> "$T/err"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "unknown option: not one line"
grep -q -- '--no-such-option' "$T/err" || fail "option not named"

# Unique prefixes find commands; ambiguous ones list the candidates.
expect_rc 0 "$SOCKIT" tcp-s --help > /dev/null
expect_rc 2 "$SOCKIT" tcp 2> "$T/err"
grep -q 'ambiguous' "$T/err" || fail "ambiguous prefix not reported"

# Bad values are usage errors.
expect_rc 2 "$SOCKIT" tcp-client 127.0.0.1 65536 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-client 127.0.0.1 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-client ::1:80 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --frame len33 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --allow 300.0.0.0/8 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --max-conns abc 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --log-format xml 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-client -w 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --exec /bin/cat --frame line 2> /dev/null
expect_rc 2 "$SOCKIT" 2> /dev/null

# -w 0 is no timeout, as in nc: documented in --help and the man page.
"$SOCKIT" help tcp-client | grep -q -- '-w, --connect-timeout SEC.*0: no limit' ||
    fail "--help does not say what -w 0 means"
"$SOCKIT" help tcp-client | grep -q -- '--timeout SEC.*0: no limit' ||
    fail "--help does not say what --timeout 0 means"
grep -q '^.Ql \\-w 0 ,$' "${SOCKIT_SRCDIR:-.}/man/sockit.1" ||
    fail "the man page does not say what -w 0 means"

# A closed fd 0, 1 or 2 at start is /dev/null, never the client's socket
# (the clients run in the background so that a hang fails in bounded time).
start_server ec tcp-server 0 -v
"$SOCKIT" tcp-client 127.0.0.1 "$ec_PORT" <&- > "$T/out0" 2> "$T/err0" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 0 ] || fail "stdin closed: exit $RC: $(cat "$T/err0")"
[ ! -s "$T/out0" ] || fail "stdin closed: got $(cat "$T/out0")"
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=0 out=0 ' "$T/ec.err" ||
    fail "stdin closed: something was sent: $(cat "$T/ec.err")"
printf 'one\n' | "$SOCKIT" tcp-client 127.0.0.1 "$ec_PORT" >&- 2> "$T/err1" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 0 ] || fail "stdout closed: exit $RC: $(cat "$T/err1")"
printf 'two\n' | "$SOCKIT" -v tcp-client 127.0.0.1 "$ec_PORT" 2>&- \
    > "$T/out2" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 0 ] || fail "stderr closed: exit $RC"
[ "$(cat "$T/out2")" = two ] ||
    fail "stderr closed: the log went into the socket: $(cat "$T/out2")"
[ "$(echo three | "$SOCKIT" tcp-client -w 0 127.0.0.1 "$ec_PORT")" = three ] ||
    fail "-w 0 does not connect"
exit 0
