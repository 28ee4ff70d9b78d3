#!/bin/sh
# unix-server manages its socket file: a stale one is replaced, a live
# one is refused, a non-socket is never touched; the mode is 0600 unless
# --mode says otherwise; the file goes on SIGTERM.  unix-client exits 3
# when nobody listens on the path.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# echo_ok PATH: a round trip through the server at PATH works.
echo_ok() {
	[ "$(printf 'ping\n' | "$SOCKIT" unix-client "$1")" = ping ]
}

# 1. A socket left behind by kill -9 is stale: a new server replaces it.
start_unix old "$T/s"
kill -9 "$old_PID"
wait_exit "$old_PID" 10
test -S "$T/s" || fail "kill -9 left no socket file (cannot test stale)"
start_unix new "$T/s"
echo_ok "$T/s" || fail "the server replacing a stale socket does not echo"

# 2. A live server's path is refused: exit 1, "address in use", and the
#    live server keeps its socket.
"$SOCKIT" unix-server "$T/s" 2> "$T/dup.err" &
dpid=$!
PIDS="$PIDS $dpid"
wait_exit "$dpid" 10
[ "$RC" = 1 ] || fail "second server on a live path exited $RC, expected 1: \
$(cat "$T/dup.err")"
grep -q 'address in use' "$T/dup.err" ||
    fail "no 'address in use': $(cat "$T/dup.err")"
echo_ok "$T/s" || fail "the live server stopped answering"

# 3. A regular file at the path is reported and left untouched.
printf 'precious data\n' > "$T/file"
"$SOCKIT" unix-server "$T/file" 2> "$T/file.err" &
fpid=$!
PIDS="$PIDS $fpid"
wait_exit "$fpid" 10
[ "$RC" = 1 ] || fail "server on a regular file exited $RC, expected 1: \
$(cat "$T/file.err")"
grep -q 'not a socket' "$T/file.err" ||
    fail "no 'not a socket' message: $(cat "$T/file.err")"
[ -f "$T/file" ] && [ "$(cat "$T/file")" = "precious data" ] ||
    fail "the regular file was changed or removed"

# 4. The socket file has mode 0600 by default; --mode 0660 applies (the
#    umask does not matter).
mode=$(stat -c %a "$T/s") || fail "stat $T/s"
[ "$mode" = 600 ] || fail "default socket mode is $mode, expected 600"
(umask 077 && exec "$SOCKIT" unix-server "$T/m" --mode 0660) \
    2> "$T/m.err" &
mpid=$!
PIDS="$PIDS $mpid"
poll_until 10 test -S "$T/m" || fail "--mode server: $(cat "$T/m.err")"
poll_until 10 "$SOCKIT" unix-client -z "$T/m" 2> /dev/null ||
    fail "--mode server does not accept: $(cat "$T/m.err")"
mode=$(stat -c %a "$T/m") || fail "stat $T/m"
[ "$mode" = 660 ] || fail "--mode 0660 gave mode $mode"

# 5. SIGTERM: clean exit 0, and the socket file is gone.
kill -TERM "$new_PID"
wait_exit "$new_PID" 15
[ "$RC" = 0 ] || fail "unix-server exited $RC on SIGTERM: $(cat "$T/new.err")"
[ ! -e "$T/s" ] || fail "socket file $T/s left after SIGTERM"
kill -TERM "$mpid"
wait_exit "$mpid" 15
[ ! -e "$T/m" ] || fail "socket file $T/m left after SIGTERM"

# 6. Nobody listening: a missing path and a socket file with no server
#    both exit 3.
"$SOCKIT" unix-client "$T/nothing" < /dev/null 2> "$T/c1.err"
rc=$?
[ "$rc" = 3 ] || fail "unix-client to a missing path exited $rc, expected 3: \
$(cat "$T/c1.err")"
start_unix dead "$T/dead"
kill -9 "$dead_PID"
wait_exit "$dead_PID" 10
test -S "$T/dead" || fail "no stale socket file to connect to"
"$SOCKIT" unix-client "$T/dead" < /dev/null 2> "$T/c2.err"
rc=$?
[ "$rc" = 3 ] || fail "unix-client to a stale socket exited $rc, expected 3: \
$(cat "$T/c2.err")"
"$SOCKIT" unix-client -z "$T/dead" 2> /dev/null
rc=$?
[ "$rc" = 3 ] || fail "unix-client -z to a stale socket exited $rc, expected 3"
exit 0
