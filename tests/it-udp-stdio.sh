#!/bin/sh
# udp-server --stdio prints each datagram on its own line on stdout and
# sends each stdin line, as one datagram, to the last peer heard from.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# stdin is a fifo held open by this shell (fd 3), so lines can be fed
# once the datagrams have been seen.
mkfifo "$T/in.fifo" || fail "mkfifo"
"$SOCKIT" udp-server 0 --stdio --port-file "$T/s.port" \
    < "$T/in.fifo" > "$T/s.out" 2> "$T/s.err" &
spid=$!
PIDS="$PIDS $spid"
exec 3> "$T/in.fifo"
poll_until 10 test -s "$T/s.port" ||
    fail "udp-server --stdio did not start: $(cat "$T/s.err")"
port=$(cat "$T/s.port")

# Two peers: A sends two datagrams, then B one.  B is the last peer, so
# only B may receive the stdin line; A checks that nothing reaches it.
cat > "$T/peers.py" <<'PY'
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for s in (a, b):
    s.settimeout(10)
    s.connect(('127.0.0.1', port))
a.send(b'first from a')
a.send(b'second from a')
# B sends only once the shell saw A's datagrams (it creates "go").
deadline = time.monotonic() + 10
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit('shell never said go')
    time.sleep(0.02)
b.send(b'from b')
got = b.recv(70000)
if got != b'to the last peer':
    sys.exit('b got %r' % got)
got = b.recv(70000)
if got != b'second line':
    sys.exit('b got %r second' % got)
a.settimeout(0.3)
try:
    sys.exit('a (not the last peer) got %r' % a.recv(70000))
except socket.timeout:
    pass
PY
python3 "$T/peers.py" "$port" "$T/go" > "$T/py.out" 2>&1 &
ppid=$!
PIDS="$PIDS $ppid"

lines_are() {
	[ "$(cat "$T/s.out")" = "$1" ]
}
poll_until 10 lines_are 'first from a
second from a' || fail "--stdio printed '$(cat "$T/s.out")' for A's datagrams"
: > "$T/go"
poll_until 10 lines_are 'first from a
second from a
from b' || fail "--stdio printed '$(cat "$T/s.out")' after B's datagram"

printf 'to the last peer\nsecond line\n' >&3
wait_exit "$ppid" 20
[ "$RC" = 0 ] || fail "python3 peers: $(cat "$T/py.out")"

# SIGTERM stops the server with exit 0.
exec 3>&-
kill -TERM "$spid" 2>/dev/null
wait_exit "$spid" 10
[ "$RC" = 0 ] || fail "udp-server --stdio exited $RC on SIGTERM: \
$(cat "$T/s.err")"
exit 0
