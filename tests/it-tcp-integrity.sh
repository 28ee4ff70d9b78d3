#!/bin/sh
# 64 MiB of random bytes go through tcp-client -> echo server -> client
# unchanged, and the client exits 0 once the server has sent the last byte
# (stdin EOF half-closes; the server echoes the rest and closes).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

head -c 67108864 /dev/urandom > "$T/in" || fail "cannot make test data"
start_server echo tcp-server 0 -v

sk 60 "$T/in" tcp-client 127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "client exited $RC: $(cat "$T/err")"
[ "$(wc -c < "$T/out")" -eq 67108864 ] ||
    fail "got $(wc -c < "$T/out") bytes back, expected 67108864"
cmp -s "$T/in" "$T/out" || fail "echoed data differs from what was sent"

# The server counted every byte both ways.
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=67108864 out=67108864 ' \
    "$T/echo.err" || fail "no complete closed line: $(cat "$T/echo.err")"

# The same server goes on serving (HOST:PORT form this time).
head -c 1048576 /dev/urandom > "$T/in2"
sk 20 "$T/in2" tcp-client "127.0.0.1:$echo_PORT"
[ "$RC" = 0 ] || fail "second client exited $RC: $(cat "$T/err")"
cmp -s "$T/in2" "$T/out" || fail "second transfer differs"
kill -0 "$echo_PID" 2>/dev/null || fail "server died"
exit 0
