#!/bin/sh
# ssh-lite exec --timeout kills the remote command and exits 124, like
# timeout(1): TERM first, KILL after the grace period for a command that
# ignores TERM.  Nothing is left running on the server.  --timeout 0
# means no timeout.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# A sleep whose command line is unique to this test run.
MARK="10.$$1"
gone() {
	! pgrep -f "^sleep $1\$" >/dev/null
}

start=$(now_ms)
"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    --timeout 1 -- sleep "$MARK" 2>"$T/err" &
cpid=$!
wait_exit "$cpid" 9
took=$(($(now_ms) - start))
[ "$RC" = 124 ] || fail "--timeout 1 exited $RC, expected 124: $(cat "$T/err")"
[ "$took" -ge 900 ] || fail "--timeout 1 returned after only $took ms"
[ "$took" -lt 5000 ] || fail "--timeout 1 took $took ms"
poll_until 5 gone "$MARK" || fail "remote sleep $MARK still running"
poll_until 5 grep -q "argv=\[sleep $MARK\] timeout " "$T/srv.err" ||
    fail "no audit line: $(cat "$T/srv.err")"

# A command that ignores TERM is killed after the grace period (2 s).
MARK2="10.$$2"
start=$(now_ms)
"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    --timeout 1 -- sh -c "trap '' TERM; exec sleep $MARK2" 2>"$T/err" &
cpid=$!
wait_exit "$cpid" 12
took=$(($(now_ms) - start))
[ "$RC" = 124 ] || fail "TERM-proof command: exited $RC, expected 124"
[ "$took" -ge 2500 ] || fail "KILL came after $took ms, before the grace"
[ "$took" -lt 8000 ] || fail "TERM-proof command took $took ms"
poll_until 5 gone "$MARK2" || fail "remote sleep $MARK2 still running"

# A command that ends in time is not affected.
expect_rc 3 "$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" \
    --key-file "$T/key" --timeout 5 -- sh -c 'exit 3' </dev/null
kill -0 "$srv_PID" || fail "server died"

# --timeout 0 disables the timeout, as it does for timeout(1): a quick
# command keeps its own status and output.
out=$("$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    --timeout 0 -- echo hi </dev/null)
rc=$?
[ "$rc" = 0 ] && [ "$out" = "hi" ] ||
    fail "--timeout 0 -- echo hi: exited $rc with '$out', expected 0 and hi"
exit 0
