#!/bin/sh
# SIGTERM and SIGINT to a running ssh-lite exec client are forwarded to
# the remote process group (exit 128+N); a client killed outright
# (SIGKILL) makes the server kill and reap the command: no orphan, no
# zombie, the session ends.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
command -v pgrep >/dev/null 2>&1 || skip "pgrep not installed"

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

running() {
	pgrep -f "^sleep $1\$" >/dev/null
}
gone() {
	! running "$1"
}
# The server's session processes (children of the listener).
no_sessions() {
	! pgrep -P "$srv_PID" >/dev/null
}

# forward SIGNAL N MARK: runs a remote sleep MARK, sends SIGNAL to the
# client once the sleep runs; the client must exit 128+N, the sleep end.
forward() {
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
	    -- sleep "$3" </dev/null 2>"$T/err" &
	cpid=$!
	poll_until 10 running "$3" || fail "remote sleep $3 did not start"
	kill -"$1" "$cpid"
	wait_exit "$cpid" 10
	[ "$RC" = $((128 + $2)) ] || fail "SIG$1: client exited $RC," \
	    "expected $((128 + $2)): $(cat "$T/err")"
	poll_until 5 gone "$3" || fail "SIG$1: remote sleep $3 still running"
	poll_until 5 grep -q "argv=\[sleep $3\] signal=$2 " "$T/srv.err" ||
	    fail "SIG$1: no audit line: $(cat "$T/srv.err")"
}

forward TERM 15 "30.$$1"
forward INT 2 "30.$$2"
forward HUP 1 "30.$$3"

# SIGKILL: the client cannot forward anything; the server sees the
# connection close, kills the command's group and reaps it.
MARK="30.$$4"
"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    -- sh -c "sleep $MARK; echo survived >'$T/survived'" </dev/null &
cpid=$!
poll_until 10 running "$MARK" || fail "remote sleep $MARK did not start"
spid=$(pgrep -P "$srv_PID")
[ -n "$spid" ] || fail "no session process"
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
poll_until 10 gone "$MARK" || fail "SIGKILL: remote sleep $MARK still running"
# The session reaps the command, then ends; nothing is left over.
poll_until 10 no_sessions ||
    fail "session still there: $(ps -o pid,stat,args --ppid "$srv_PID")"
zombies=$(ps -eo stat=,ppid=,comm= | awk -v s="$spid" -v l="$srv_PID" \
    '$1 ~ /^Z/ && ($2 == s || $2 == l)')
[ -z "$zombies" ] || fail "zombies left: $zombies"
poll_until 5 grep -q "argv=\[sh -c sleep $MARK; .*client-gone" "$T/srv.err" ||
    fail "no client-gone audit line: $(cat "$T/srv.err")"
[ -e "$T/survived" ] && fail "the shell outlived its client"
kill -0 "$srv_PID" || fail "server died"
exit 0
