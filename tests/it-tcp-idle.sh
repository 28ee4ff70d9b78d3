#!/bin/sh
# --idle-timeout: a connection without traffic is closed after about SEC
# seconds and the log says why; a connection with traffic stays open.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server idle tcp-server 0 --idle-timeout 1

cat > "$T/idle.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    return s
busy, idle = conn(), conn()
t0 = time.monotonic()
# The busy client talks every 0.3 s for 2.4 s: never idle for 1 s.
for i in range(8):
    busy.sendall(b'tick %d\n' % i)
    want = b'tick %d\n' % i
    got = b''
    while len(got) < len(want):
        b = busy.recv(100)
        if not b:
            sys.exit('busy client closed after %.2f s' % (time.monotonic() - t0))
        got += b
    if got != want:
        sys.exit('busy client got %r' % got)
    time.sleep(0.3)
busy.close()
# The idle client has been closed meanwhile; its EOF is waiting.
try:
    b = idle.recv(100)
except ConnectionResetError:
    b = b''
took = time.monotonic() - t0
if b:
    sys.exit('idle client got data %r' % b)
print('idle: EOF, busy client alive after %.2f s' % took)
# A fresh idle client: EOF in about a second, well under 5.
s = conn()
t0 = time.monotonic()
try:
    b = s.recv(100)
except ConnectionResetError:
    b = b''
took = time.monotonic() - t0
print('idle: EOF after %.2f s' % took)
if b:
    sys.exit('idle client got data %r' % b)
if took < 0.8 or took > 5:
    sys.exit('idle client closed after %.2f s, expected about 1 s' % took)
PY
python3 "$T/idle.py" "$idle_PORT" || fail "--idle-timeout 1"
# Exactly the two idle clients were closed for idleness, not the busy one.
two_idle() {
	[ "$(grep -c 'idle timeout' "$T/idle.err")" -eq 2 ]
}
poll_until 5 two_idle ||
    fail "expected two idle timeouts in the log: $(cat "$T/idle.err")"
exit 0
