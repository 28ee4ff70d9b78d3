#!/bin/sh
# udp-server --forward HOST:PORT: each client address gets a socket of
# its own toward the backend, so the backend's replies go back to that
# client alone; a session idle for --idle-timeout is closed (the next
# datagram opens a new one).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A python3 UDP backend that answers each datagram with "PORT:DATA",
# PORT the source port it came from (one per session).
cat > "$T/echo.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
open(sys.argv[1] + '.tmp', 'w').write('%d\n' % s.getsockname()[1])
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
s.settimeout(60)
while True:
    try:
        d, a = s.recvfrom(65536)
    except socket.timeout:
        break
    s.sendto(b'%d:' % a[1] + d, a)
PY
python3 "$T/echo.py" "$T/be.port" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/be.port" || fail "backend did not start"
be=$(cat "$T/be.port")

start_server fwd udp-server 0 --forward "127.0.0.1:$be" --idle-timeout 1 -v

# 8 clients x 100 datagrams: each gets its own 100 replies, in order,
# all from one backend session, and no two clients share a session.
python3 - "$fwd_PORT" <<'PY' || fail "8 clients through the forwarder"
import socket, sys, time
port = int(sys.argv[1])
cs = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
for c in cs:
    c.bind(('127.0.0.1', 0))
    c.settimeout(5)
sessions = []
for k, c in enumerate(cs):
    got, seen = [], set()
    for i in range(100):
        msg = b'%d-%d' % (k, i)
        c.sendto(msg, ('127.0.0.1', port))
        d = c.recv(65536)
        sp, body = d.split(b':', 1)
        if body != msg:
            sys.exit('client %d sent %r, got %r' % (k, msg, d))
        seen.add(sp)
    if len(seen) != 1:
        sys.exit('client %d used %d sessions' % (k, len(seen)))
    sessions.append(seen.pop())
if len(set(sessions)) != 8:
    sys.exit('8 clients shared sessions: %r' % sessions)
# Interleaved: all 8 at once, 20 rounds each, replies to the right one.
for r in range(20):
    for k, c in enumerate(cs):
        c.sendto(b'r%d-%d' % (k, r), ('127.0.0.1', port))
    for k, c in enumerate(cs):
        d = c.recv(65536).split(b':', 1)[1]
        if d != b'r%d-%d' % (k, r):
            sys.exit('client %d got %r in round %d' % (k, d, r))
PY
grep -q "^forwarding 127\\.0\\.0\\.1:[0-9]* backend=127\\.0\\.0\\.1:$be\$" \
    "$T/fwd.err" || fail "no forwarding line: $(tail -3 "$T/fwd.err")"

# An idle session is closed: after --idle-timeout the same client gets a
# new backend session (another source port).
python3 - "$fwd_PORT" "$T/fwd.err" <<'PY' || fail "idle session"
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.bind(('127.0.0.1', 0))
c.settimeout(5)
def ask():
    c.sendto(b'x', ('127.0.0.1', port))
    return c.recv(100).split(b':')[0]
first = ask()
me = '127.0.0.1:%d ' % c.getsockname()[1]
t = time.monotonic() + 10
# The session's end is logged ("closed ME ... backend="): wait for it.
while time.monotonic() < t:
    if any(l.startswith('closed ' + me) for l in open(log)):
        break
    time.sleep(0.05)
else:
    sys.exit('the idle session was not closed')
second = ask()
if first == second:
    sys.exit('the same session after the idle timeout')
PY
exit 0
