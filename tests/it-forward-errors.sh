#!/bin/sh
# A backend that fails never takes the forwarder down:
#  1. refused: the client is closed without a byte, the forwarder logs
#     "backend TARGET: Connection refused", and once the backend listens
#     the next client is served;
#  2. never answering (a listener whose full queue drops SYNs): each
#     client is closed after -w 1, not much later, with a timeout reason;
#     ten clients dialing at once all end within the bound (the dials do
#     not wait for one another);
#  3. bad TARGET and option values are usage errors (exit 2).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# 1. A backend port that is bound but not listening refuses; the same
#    socket listens (and echoes) once $T/go exists.
cat > "$T/late.py" <<'PY'
import os, socket, sys, time
pf, go, ready = sys.argv[1], sys.argv[2], sys.argv[3]
l = socket.socket()
l.bind(('127.0.0.1', 0))
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
t = time.monotonic() + 30
while not os.path.exists(go):
    if time.monotonic() > t:
        sys.exit('late backend: never told to listen')
    time.sleep(0.02)
l.listen(8)
l.settimeout(20)
open(ready, 'w').close()
c, _ = l.accept()
c.settimeout(20)
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b)
c.close()
PY
python3 "$T/late.py" "$T/late.port" "$T/go" "$T/ready" 2> "$T/late.err" &
late=$!
PIDS="$PIDS $late"
poll_until 10 test -s "$T/late.port" || fail "python3 backend did not start"
LATE=$(cat "$T/late.port")
start_server fwd tcp-server 0 --forward "127.0.0.1:$LATE"

cat > "$T/closed.py" <<'PY'
import socket, sys, time
# closed.py PORT SEND: connects, sends SEND (may be empty), and reports
# what came back before the connection ended, and how it ended.
port, send = int(sys.argv[1]), sys.argv[2].encode()
s = socket.create_connection(('127.0.0.1', port), timeout=20)
s.settimeout(20)
if send:
    s.sendall(send)
got = b''
t0 = time.monotonic()
try:
    while True:
        b = s.recv(1000)
        if not b:
            how = 'eof'
            break
        got += b
except ConnectionResetError:
    how = 'reset'
except socket.timeout:
    how = 'timeout'
print('%s %d %.3f' % (how, len(got), time.monotonic() - t0))
PY
# A silent client gets a clean EOF; one that sent bytes the forwarder
# never read may get a reset instead.  Neither gets a byte.
# shellcheck disable=SC2046  # split into how, bytes, seconds
set -- $(python3 "$T/closed.py" "$fwd_PORT" '')
[ "$1" = eof ] && [ "$2" = 0 ] ||
    fail "refused backend: a silent client saw '$*', expected eof, 0 bytes"
# shellcheck disable=SC2046  # split into how, bytes, seconds
set -- $(python3 "$T/closed.py" "$fwd_PORT" 'hello')
{ [ "$1" = eof ] || [ "$1" = reset ]; } && [ "$2" = 0 ] ||
    fail "refused backend: a client that sent saw '$*', expected 0 bytes"
refused_logged() {
	[ "$(grep -c "^closed 127\\.0\\.0\\.1:[0-9]* in=0 out=0 .*: backend 127\\.0\\.0\\.1:$LATE: Connection refused\$" \
	    "$T/fwd.err")" -eq 2 ]
}
poll_until 5 refused_logged ||
    fail "expected two 'backend ...: Connection refused' lines: $(cat "$T/fwd.err")"
running "$fwd_PID" || fail "the forwarder exited after a refused backend"

# The backend comes up: the next client is served.
: > "$T/go"
poll_until 10 test -e "$T/ready" || fail "backend did not listen: $(cat "$T/late.err")"
printf 'now it works\n' > "$T/msg"
"$SOCKIT" tcp-client 127.0.0.1 "$fwd_PORT" < "$T/msg" > "$T/out" 2> "$T/err" &
cl=$!
PIDS="$PIDS $cl"
wait_exit "$cl" 20
[ "$RC" = 0 ] || fail "client after the backend started exited $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "client after the backend started got '$(cat "$T/out")'"
wait_exit "$late" 10
running "$fwd_PID" || fail "the forwarder died"

# 2. A listener with backlog 1 that never accepts, its queue filled
#    first, so that further SYNs are dropped and connects hang.
cat > "$T/black.py" <<'PY'
import os, select, socket, sys, time
pf, done = sys.argv[1], sys.argv[2]
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(1)
port = l.getsockname()[1]
held = []
for i in range(16):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(('127.0.0.1', port))
    held.append(s)
    _, w, _ = select.select([], [s], [], 0.5)
    if not w:
        break       # not connected in 0.5 s: the queue is full
else:
    sys.exit('black hole: the queue never filled')
open(pf + '.tmp', 'w').write('%d\n' % port)
os.rename(pf + '.tmp', pf)
t = time.monotonic() + 60
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.05)
PY
python3 "$T/black.py" "$T/black.port" "$T/black.done" 2> "$T/black.err" &
black=$!
PIDS="$PIDS $black"
black_up() {
	test -s "$T/black.port" || ! kill -0 "$black" 2>/dev/null
}
poll_until 20 black_up && test -s "$T/black.port" ||
    fail "black-hole listener: $(cat "$T/black.err")"
BLACK=$(cat "$T/black.port")
start_server slow tcp-server 0 -w 1 --forward "127.0.0.1:$BLACK"

# shellcheck disable=SC2046  # split into how, bytes, seconds
set -- $(python3 "$T/closed.py" "$slow_PORT" '')
echo "connect timeout -w 1: the client saw $1 after $3 s"
[ "$2" = 0 ] || fail "connect timeout: the client got $2 bytes"
[ "$1" = eof ] || [ "$1" = reset ] || fail "connect timeout: the client saw $1"
python3 -c "import sys; t = float(sys.argv[1]); sys.exit(not 0.8 <= t < 8)" "$3" ||
    fail "connect timeout -w 1: the client was closed after $3 s"
poll_until 5 grep -q "^closed 127\\.0\\.0\\.1:[0-9]* in=0 out=0 .*: backend 127\\.0\\.0\\.1:$BLACK: Connection timed out\$" \
    "$T/slow.err" || fail "no timeout line: $(cat "$T/slow.err")"

# Ten at once: each is closed after about a second, all well within 8 s
# (one dial after another would take ten).
python3 - "$slow_PORT" "$T/closed.py" <<'PY' || fail "concurrent connect timeouts"
import subprocess, sys, time
t0 = time.monotonic()
ps = [subprocess.Popen([sys.executable, sys.argv[2], sys.argv[1], ''],
                       stdout=subprocess.PIPE, text=True) for i in range(10)]
outs = [p.communicate(timeout=30)[0].split() for p in ps]
took = time.monotonic() - t0
bad = [o for o in outs if o[0] not in ('eof', 'reset') or o[1] != '0']
if bad:
    sys.exit('concurrent timeouts: %r' % bad)
print('10 clients of a black-hole backend closed in %.2f s' % took)
if took >= 8:
    sys.exit('10 connect timeouts of 1 s took %.2f s' % took)
PY
eleven() {
	[ "$(grep -c 'Connection timed out$' "$T/slow.err")" -eq 11 ]
}
poll_until 5 eleven || fail "expected 11 timeout lines: $(cat "$T/slow.err")"
running "$slow_PID" || fail "the forwarder exited after connect timeouts"
: > "$T/black.done"

# 3. Usage errors.
for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:99999 :80 @ '[::1]'; do
	expect_rc 2 "$SOCKIT" tcp-server 0 --forward "$bad" 2> "$T/usage"
	grep -q -- '--forward' "$T/usage" ||
	    fail "--forward '$bad': the error does not name --forward: $(cat "$T/usage")"
done
expect_rc 2 "$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 --proxy-protocol v3 \
    2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --proxy-protocol v1 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 -w soon 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 --echo 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 --stdio 2> /dev/null
expect_rc 2 "$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 --frame line \
    2> /dev/null
expect_rc 2 "$SOCKIT" unix-server "$T/u.sock" --forward @ 2> /dev/null
exit 0
