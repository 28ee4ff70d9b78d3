#!/bin/sh
# tcp-server --echo and --upper answer a piped tcp-client; options may
# follow the positionals; global options work after the command.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server echo tcp-server 0 -v
out=$(printf 'hello\n' | "$SOCKIT" tcp-client 127.0.0.1 "$echo_PORT") ||
    fail "client exited $?"
[ "$out" = "hello" ] || fail "echo returned '$out'"
out=$(printf 'hello\n' | "$SOCKIT" tcp-client "127.0.0.1:$echo_PORT") ||
    fail "HOST:PORT form failed"
[ "$out" = "hello" ] || fail "HOST:PORT echo returned '$out'"

start_server up tcp-server --upper 0
out=$(printf 'hello, World\n' | "$SOCKIT" tcp-client 127.0.0.1 "$up_PORT")
[ "$out" = "HELLO, WORLD" ] || fail "upper returned '$out'"

# The listening address is reported; -v logs accept and close.
grep -q "^listening on 127.0.0.1:$echo_PORT\$" "$T/echo.err" ||
    fail "no listening line: $(cat "$T/echo.err")"
poll_until 5 grep -q '^closed 127.0.0.1:[0-9]* in=6 out=6 ' "$T/echo.err" ||
    fail "no closed line: $(cat "$T/echo.err")"
grep -q '^accepted 127.0.0.1:' "$T/echo.err" || fail "no accepted line"
exit 0
