#!/bin/sh
# --banner with --forward: the banner goes to the client first, then
# the backend's bytes, then EOF (exit 0).  The relay splices between
# the sockets; bytes queued ahead of the stream's own (the banner, a
# PROXY header) must still go out first, and the pipe must still end.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server up tcp-server 0 --upper
start_server fwd tcp-server 0 -v --banner 'hello\n' \
    --forward "127.0.0.1:$up_PORT"
printf 'abc\n' > "$T/in"
"$SOCKIT" tcp-client 127.0.0.1 "$fwd_PORT" < "$T/in" > "$T/out" 2> "$T/err" &
cl=$!
PIDS="$PIDS $cl"
poll_until 10 sh -c "! kill -0 $cl 2>/dev/null" ||
    fail "--banner with --forward: no EOF after 10 s; the client got \
'$(cat "$T/out")'"
wait "$cl"
RC=$?
[ "$RC" = 0 ] || fail "client exited $RC: $(cat "$T/err")"
printf 'hello\nABC\n' > "$T/want"
cmp -s "$T/want" "$T/out" ||
    fail "--banner with --forward: the client got '$(cat "$T/out")', \
expected 'hello' then 'ABC'"
exit 0
