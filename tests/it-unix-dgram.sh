#!/bin/sh
# unix-server --dgram echoes each datagram to its sender: a python3
# AF_UNIX SOCK_DGRAM client bound to its own path, and unix-client
# --dgram (on a path and on an @abstract name, a few lines and a burst).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

"$SOCKIT" unix-server --dgram "$T/d" 2> "$T/d.err" &
spid=$!
PIDS="$PIDS $spid"
poll_until 10 test -S "$T/d" ||
    fail "unix-server --dgram did not create $T/d: $(cat "$T/d.err")"

# A python3 client bound to its own path; message boundaries are kept.
if ! command -v python3 > /dev/null 2>&1; then
	echo "note: python3 missing, its client is not tried" >&2
else
	cat > "$T/client.py" <<'PY'
import socket, sys
server, me = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(me)
for msg in (b'one', b'two words', b'x' * 60000, b'line\nwith newline'):
    s.sendto(msg, server)
    got, frm = s.recvfrom(200000)
    if got != msg:
        sys.exit('sent %d bytes, got %d back: %r...'
                 % (len(msg), len(got), got[:20]))
    if frm != server:
        sys.exit('reply came from %r, not %r' % (frm, server))
s.close()
PY
	python3 "$T/client.py" "$T/d" "$T/py" ||
	    fail "python3 AF_UNIX SOCK_DGRAM client against unix-server --dgram"
fi

# unix-client --dgram: one datagram per line, one reply line each.
printf 'alpha\nbravo\ncharlie\n' > "$T/in3"
"$SOCKIT" unix-client --dgram --expect-replies 3 "$T/d" \
    < "$T/in3" > "$T/out3" 2> "$T/c3.err" ||
    fail "unix-client --dgram (3 lines) exited $?: $(cat "$T/c3.err")"
cmp -s "$T/in3" "$T/out3" || fail "unix-client --dgram got '$(cat "$T/out3")'"

# --upper on an abstract name (readiness: the listening line, logged
# once the name is bound).
abs="@sockit-dgram-$$"
"$SOCKIT" unix-server --dgram --upper "$abs" 2> "$T/a.err" &
PIDS="$PIDS $!"
poll_until 10 grep -q "^listening on $abs\$" "$T/a.err" ||
    fail "unix-server --dgram $abs did not start: $(cat "$T/a.err")"
out=$(printf 'quiet\nplease\n' |
    "$SOCKIT" unix-client --dgram --expect-replies 2 "$abs" 2> "$T/ca.err") ||
    fail "unix-client --dgram $abs exited $?: $(cat "$T/ca.err")"
[ "$out" = "QUIET
PLEASE" ] || fail "--dgram --upper over $abs returned '$out'"

# SIGTERM: exit 0 and the socket file goes.
"$SOCKIT" unix-server --dgram "$T/e" 2> "$T/e.err" &
epid=$!
PIDS="$PIDS $epid"
poll_until 10 test -S "$T/e" || fail "second --dgram server: $(cat "$T/e.err")"
kill -TERM "$epid"
wait_exit "$epid" 15
[ "$RC" = 0 ] || fail "unix-server --dgram exited $RC on SIGTERM"
[ ! -e "$T/e" ] || fail "socket file $T/e left after SIGTERM"

# A burst of 200 lines.  The kernel queues few datagrams per Unix socket
# (net.unix.max_dgram_qlen, often 10), so the client must wait for room
# instead of failing on EAGAIN.
seq 1 200 > "$T/in"
"$SOCKIT" unix-client --dgram --expect-replies 200 "$T/d" \
    < "$T/in" > "$T/out" 2> "$T/c.err" ||
    fail "unix-client --dgram (200 lines) exited $?: $(cat "$T/c.err")"
cmp -s "$T/in" "$T/out" ||
    fail "unix-client --dgram got $(wc -l < "$T/out") lines back, not the 200 sent"
exit 0
