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

# --stdio-frame raw: stdin goes out in chunks of at most what the socket
# takes (its send buffer, often about 208 KiB), so a file of any size
# goes through, read from a file or from a pipe.
head -c 1000000 /dev/urandom > "$T/1m" || fail "cannot make test data"
"$SOCKIT" unix-client --dgram --stdio-frame raw "$T/d" < "$T/1m" \
    > "$T/1m.out" 2> "$T/1m.err" ||
    fail "unix-client --dgram --stdio-frame raw exited $?: $(cat "$T/1m.err")"
cmp -s "$T/1m" "$T/1m.out" ||
    fail "raw: $(wc -c < "$T/1m.out") bytes came back, not the same"
cat "$T/1m" | "$SOCKIT" unix-client --dgram --stdio-frame raw "$T/d" \
    > "$T/1m.pout" 2> "$T/1m.perr" ||
    fail "cat | unix-client --dgram --stdio-frame raw exited $?: \
$(cat "$T/1m.perr")"
cmp -s "$T/1m" "$T/1m.pout" ||
    fail "raw from a pipe: $(wc -c < "$T/1m.pout") bytes came back"

if ! command -v python3 > /dev/null 2>&1; then
	echo "note: python3 missing, --stdio peers not tried" >&2
	exit 0
fi

# unix-server --dgram --stdio: a peer that went away before its datagram
# could be sent is logged without -v, never dropped in silence.
mkfifo "$T/st.fifo" || fail "mkfifo"
"$SOCKIT" unix-server --dgram --stdio "$T/st" < "$T/st.fifo" \
    > "$T/st.out" 2> "$T/st.err" &
PIDS="$PIDS $!"
exec 3> "$T/st.fifo"
poll_until 10 test -S "$T/st" ||
    fail "unix-server --dgram --stdio did not start: $(cat "$T/st.err")"
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[2])
s.sendto(b"gone soon", sys.argv[1])
s.close()
os.unlink(sys.argv[2])' "$T/st" "$T/gone" || fail "python3 peer failed"
poll_until 10 grep -q '^gone soon$' "$T/st.out" ||
    fail "--stdio printed '$(cat "$T/st.out")'"
printf 'for nobody\n' >&3
poll_until 10 grep -q "send-error $T/gone" "$T/st.err" ||
    fail "no send-error line for a vanished peer: $(cat "$T/st.err")"

# --stdio --stdio-frame raw sends stdin in chunks that fit the socket.
exec 3>&-
mkfifo "$T/sr.fifo" || fail "mkfifo"
"$SOCKIT" unix-server --dgram --stdio --stdio-frame raw "$T/sr" \
    < "$T/sr.fifo" > "$T/sr.out" 2> "$T/sr.err" &
PIDS="$PIDS $!"
exec 3> "$T/sr.fifo"
poll_until 10 test -S "$T/sr" ||
    fail "unix-server --dgram --stdio --stdio-frame raw did not start"
cat > "$T/peer.py" <<'PY'
import socket, sys
server, me, total, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(me)
s.sendto(b'hello', server)
data = b''
while len(data) < total:
    data += s.recv(1 << 20)
open(out, 'wb').write(data)
PY
python3 "$T/peer.py" "$T/sr" "$T/peer" 1000000 "$T/peer.data" \
    > "$T/peer.out" 2>&1 &
ppid=$!
PIDS="$PIDS $ppid"
got_hello() {
	[ "$(cat "$T/sr.out")" = hello ]
}
poll_until 10 got_hello || fail "--stdio printed '$(cat "$T/sr.out")'"
cat "$T/1m" >&3
wait_exit "$ppid" 20
[ "$RC" = 0 ] || fail "peer of unix-server --dgram --stdio: \
$(cat "$T/peer.out"); server: $(cat "$T/sr.err")"
cmp -s "$T/1m" "$T/peer.data" || fail "the --stdio peer got other bytes"
exec 3>&-
exit 0
