#!/bin/sh
# --ready-file FILE on every server: once the server takes connections
# (or datagrams), FILE holds its listening address and a newline, so a
# script waits for the file instead of polling; the address is the one
# to connect to (an ephemeral port resolved, a Unix path, @name).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# ready NAME ARGS...: starts "$SOCKIT ARGS --ready-file $T/NAME.ready"
# in the background and waits for the file; sets NAME_PID and READY
# (the file's one line).
ready() {
	n=$1
	shift
	"$SOCKIT" "$@" --ready-file "$T/$n.ready" 2> "$T/$n.err" &
	eval "${n}_PID=$!"
	PIDS="$PIDS $!"
	poll_until 10 test -s "$T/$n.ready" ||
	    fail "$n: no --ready-file after 10 s: $(cat "$T/$n.err")"
	[ "$(wc -l < "$T/$n.ready")" -eq 1 ] ||
	    fail "$n: --ready-file is not one line: $(cat "$T/$n.ready")"
	READY=$(cat "$T/$n.ready")
}

printf 'ping\n' > "$T/ping"

# tcp-server: HOST:PORT with the real port; the first connect works.
ready tcp tcp-server 127.0.0.1 0
case $READY in
127.0.0.1:[1-9]*) ;;
*) fail "tcp-server --ready-file holds '$READY'" ;;
esac
expect_rc 0 "$SOCKIT" tcp-client "$READY" < "$T/ping" > "$T/out"
[ "$(cat "$T/out")" = ping ] || fail "tcp-server: echo got '$(cat "$T/out")'"

# IPv6, where the machine has ::1.
if python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2>/dev/null; then
	ready tcp6 tcp-server ::1 0
	case $READY in
	"[::1]:"[1-9]*) ;;
	*) fail "tcp-server ::1 --ready-file holds '$READY'" ;;
	esac
	expect_rc 0 "$SOCKIT" tcp-client "$READY" < "$T/ping" > "$T/out"
else
	echo "no ::1 here: the IPv6 case is left out"
fi

# udp-server: the first datagram is answered.
ready udp udp-server 127.0.0.1 0
expect_rc 0 "$SOCKIT" udp-client --reply-timeout 5 "$READY" < "$T/ping" \
    > "$T/out"
[ "$(cat "$T/out")" = ping ] || fail "udp-server: echo got '$(cat "$T/out")'"

# unix-server, stream and datagram, a path and an abstract name.
ready ux unix-server "$T/s.sock"
[ "$READY" = "$T/s.sock" ] || fail "unix-server --ready-file holds '$READY'"
expect_rc 0 "$SOCKIT" unix-client "$READY" < "$T/ping" > "$T/out"
[ "$(cat "$T/out")" = ping ] || fail "unix-server: echo got '$(cat "$T/out")'"
ready uxd unix-server --dgram "$T/d.sock"
[ "$READY" = "$T/d.sock" ] ||
    fail "unix-server --dgram --ready-file holds '$READY'"
expect_rc 0 "$SOCKIT" unix-client --dgram --reply-timeout 5 "$READY" \
    < "$T/ping" > "$T/out"
[ "$(cat "$T/out")" = ping ] ||
    fail "unix-server --dgram: echo got '$(cat "$T/out")'"
abs="@sockit-ready-$$"
ready uxa unix-server "$abs"
[ "$READY" = "$abs" ] || fail "abstract unix-server --ready-file holds '$READY'"
expect_rc 0 "$SOCKIT" unix-client "$READY" < "$T/ping" > "$T/out"

# A --ready-file that cannot be written stops the server at start.
"$SOCKIT" tcp-server 0 --ready-file "$T/no/such/dir/f" > /dev/null \
    2> "$T/err" &
w=$!
PIDS="$PIDS $w"
wait_exit "$w" 10
[ "$RC" != 0 ] || fail "an unwritable --ready-file: exit 0"
grep -qF -- "--ready-file $T/no/such/dir/f" "$T/err" ||
    fail "an unwritable --ready-file said: $(cat "$T/err")"
exit 0
