#!/bin/sh
# --forward passes each direction's end on separately, and a reset as a
# reset:
#  1. the client sends, half-closes, and still reads the whole reply of
#     a backend that answers only after that EOF;
#  2. the backend half-closes first: the client sees EOF while its own
#     later data still reaches the backend, whole;
#  3. a backend reset reaches the client as a reset (not a clean EOF);
#  4. a client reset reaches the backend as a reset.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A one-connection python3 backend:  back.py MODE PORTFILE RESULT
cat > "$T/back.py" <<'PY'
import hashlib, os, socket, struct, sys, time
mode, pf, result = sys.argv[1], sys.argv[2], sys.argv[3]
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(4)
l.settimeout(20)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
c, _ = l.accept()
c.settimeout(20)

def drain():
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)

def report(s):
    open(result + '.tmp', 'w').write(s + '\n')
    os.rename(result + '.tmp', result)

if mode == 'after-eof':
    # Nothing is sent before the client's EOF; then 4 MiB and a summary.
    n, h = drain()
    reply = hashlib.sha256(b'seed').digest() * (4 << 15)
    c.sendall(reply + b'got %d bytes %s\n' % (n, h.encode()))
    c.close()
    report('done')
elif mode == 'shut-first':
    # Half-close at once, then take everything the client still sends.
    c.sendall(b'bye\n')
    c.shutdown(socket.SHUT_WR)
    n, h = drain()
    report('%d %s' % (n, h))
elif mode == 'reset':
    # Read the client's hello, then reset the connection.
    got = b''
    while len(got) < 6:
        got += c.recv(6 - len(got))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
    report('reset sent')
elif mode == 'expect-reset':
    # Say we got the hello, then tell how the connection ended.
    got = b''
    while len(got) < 6:
        got += c.recv(6 - len(got))
    report('hello')
    try:
        while c.recv(1 << 16):
            pass
        how = 'eof'
    except ConnectionResetError:
        how = 'reset'
    except socket.timeout:
        how = 'timeout'
    open(result + '.how', 'w').write(how + '\n')
PY

# backend MODE: starts back.py; sets BACK_PID, BACK_PORT.
backend() {
	rm -f "$T/back.port" "$T/back.res" "$T/back.res.how"
	python3 "$T/back.py" "$1" "$T/back.port" "$T/back.res" \
	    2> "$T/back.err" &
	BACK_PID=$!
	PIDS="$PIDS $BACK_PID"
	poll_until 10 test -s "$T/back.port" ||
	    fail "python3 backend did not start: $(cat "$T/back.err")"
	BACK_PORT=$(cat "$T/back.port")
}

# forwarder NAME: a forwarder to the current backend.
forwarder() {
	start_server "$1" tcp-server 0 -v --forward "127.0.0.1:$BACK_PORT"
}

# 1. Client half-closes; the reply comes only after that.
backend after-eof
forwarder f1
python3 - "$f1_PORT" <<'PY' || fail "client half-close"
import hashlib, os, socket, sys
data = os.urandom(3 << 20)
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
s.settimeout(20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    b = s.recv(1 << 16)
    if not b:
        break
    got += b
want = hashlib.sha256(b'seed').digest() * (4 << 15) + \
    b'got %d bytes %s\n' % (len(data), hashlib.sha256(data).hexdigest().encode())
if bytes(got) != want:
    sys.exit('after half-close: got %d bytes (%r...), expected %d'
             % (len(got), bytes(got[-60:]), len(want)))
print('client half-close: %d bytes sent, reply of %d bytes read whole'
      % (len(data), len(got)))
PY
wait_exit "$BACK_PID" 10
[ "$RC" = 0 ] || fail "backend: $(cat "$T/back.err")"

# 2. Backend half-closes first; the client keeps sending after the EOF.
backend shut-first
forwarder f2
python3 - "$f2_PORT" "$T/sent" <<'PY' || fail "backend half-close"
import hashlib, os, socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
s.settimeout(20)
got = b''
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
if got != b'bye\n':
    sys.exit('backend half-close: got %r before EOF' % got)
# The backend's EOF arrived; our direction is still open.
data = os.urandom(2 << 20)
try:
    s.sendall(data)
except OSError as e:
    sys.exit('sending after the backend half-closed: %s' % e)
s.shutdown(socket.SHUT_WR)
b = s.recv(100)
if b:
    sys.exit('data after EOF: %r' % b)
open(sys.argv[2], 'w').write('%d %s\n' % (len(data), hashlib.sha256(data).hexdigest()))
print('backend half-close: EOF first, then %d bytes sent' % len(data))
PY
wait_exit "$BACK_PID" 10
[ "$RC" = 0 ] || fail "backend: $(cat "$T/back.err")"
[ "$(cat "$T/back.res")" = "$(cat "$T/sent")" ] ||
    fail "after its half-close the backend got '$(cat "$T/back.res")', \
the client sent '$(cat "$T/sent")'"
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=2097152 out=4 ' \
    "$T/f2.err" || fail "backend half-close: $(cat "$T/f2.err")"

# 3. A backend reset reaches the client as a reset.
backend reset
forwarder f3
python3 - "$f3_PORT" <<'PY' || fail "backend reset"
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
s.settimeout(20)
s.sendall(b'hello\n')
try:
    b = s.recv(100)
except ConnectionResetError:
    print('backend reset: the client got a reset')
    sys.exit(0)
except socket.timeout:
    sys.exit('backend reset: nothing reached the client in 20 s')
sys.exit('backend reset: the client got %r, not a reset' % b)
PY
wait_exit "$BACK_PID" 10
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]*.*: ' "$T/f3.err" ||
    fail "backend reset not logged with a reason: $(cat "$T/f3.err")"
grep '^closed' "$T/f3.err"

# 4. A client reset reaches the backend as a reset.
backend expect-reset
forwarder f4
python3 - "$f4_PORT" "$T/back.res" <<'PY' || fail "client reset"
import os, socket, struct, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
s.sendall(b'hello\n')
t = time.monotonic() + 20
while not os.path.exists(sys.argv[2]):
    if time.monotonic() > t:
        sys.exit('client reset: the backend never got the hello')
    time.sleep(0.02)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
PY
wait_exit "$BACK_PID" 25
[ "$(cat "$T/back.res.how" 2>/dev/null)" = reset ] ||
    fail "client reset: the backend saw '$(cat "$T/back.res.how" 2>/dev/null)', \
not a reset: $(cat "$T/back.err")"
echo "client reset: the backend got a reset"
running "$f4_PID" || fail "the forwarder died"
exit 0
