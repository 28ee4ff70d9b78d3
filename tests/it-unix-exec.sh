#!/bin/sh
# unix-server --sh-exec tells the child who connected: SOCKIT_PEER is
# pid=N,uid=N from SO_PEERCRED (the client's pid and uid).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_unix x "$T/x" --sh-exec 'echo "$SOCKIT_PEER"'

# The client runs in the background so that its pid is known.
"$SOCKIT" unix-client "$T/x" < /dev/null > "$T/out" 2> "$T/c.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_exit "$cpid" 15
[ "$RC" = 0 ] || fail "unix-client exited $RC: $(cat "$T/c.err")"
want="pid=$cpid,uid=$(id -u)"
[ "$(cat "$T/out")" = "$want" ] ||
    fail "SOCKIT_PEER was '$(cat "$T/out")', expected '$want'"

# Every connection gets its own child and its own credentials.
"$SOCKIT" unix-client "$T/x" < /dev/null > "$T/out2" 2> "$T/c2.err" &
cpid2=$!
PIDS="$PIDS $cpid2"
wait_exit "$cpid2" 15
[ "$RC" = 0 ] || fail "second unix-client exited $RC: $(cat "$T/c2.err")"
[ "$(cat "$T/out2")" = "pid=$cpid2,uid=$(id -u)" ] ||
    fail "second SOCKIT_PEER was '$(cat "$T/out2")'"
exit 0
