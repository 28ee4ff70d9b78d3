#!/bin/sh
# KNOWN BUG, not in IT_TESTS until fixed: --banner with --forward.
#
# --banner "combines with any" handler (SPEC 3, sockit(1)): the banner
# goes to the client first, then the handler runs.  With --forward the
# banner is queued with relay_prepend() on the backend -> client pipe,
# but that pipe splices (zero copy) and pipe_flush() then only moves
# the kernel pipe: the queued bytes are never written, and since they
# are still pending the pipe never ends, so the client never gets EOF
# (the connection hangs until the drain cuts it).  The same cause
# loses the --proxy-protocol header (tests/it-forward-proxy.sh).
#
# Expected: "hello" then the backend's reply, then EOF (exit 0).
# Got: only the reply, and no EOF: the client is still waiting after 10 s.
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
