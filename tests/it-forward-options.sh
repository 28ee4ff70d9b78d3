#!/bin/sh
# The server options still apply with --forward:
#  1. --deny / --allow: a denied peer is closed and never reaches the
#     backend; an allowed one is forwarded;
#  2. --max-conns 1 --on-full refuse and --max-per-ip 1: the excess
#     connection is refused without a backend connection, and served
#     once the first one ends;
#  3. --idle-timeout: an idle forwarded connection is closed (both
#     sides), a busy one is not;
#  4. SIGTERM: the listener closes, a forwarded transfer in flight
#     completes exact, the server exits 0;
#  5. --once serves one forwarded connection and exits 0; --workers 2
#     forwards too.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# accepted NAME: how many connections server NAME (run with -v) accepted.
accepted() {
	grep -c '^accepted ' "$T/$1.err"
}

# served WHAT PORT: a short message through the forwarder comes back.
printf 'through the forwarder\n' > "$T/msg"
served() {
	sk 10 "$T/msg" tcp-client 127.0.0.1 "$2"
	[ "$RC" = 0 ] || fail "$1: client exited $RC: $(cat "$T/err")"
	cmp -s "$T/msg" "$T/out" || fail "$1: client got '$(cat "$T/out")'"
}

# not_served WHAT PORT: the client is closed without a byte.
not_served() {
	"$SOCKIT" tcp-client 127.0.0.1 "$2" < /dev/null > "$T/out" 2> "$T/err" &
	skpid=$!
	PIDS="$PIDS $skpid"
	wait_exit "$skpid" 10
	[ ! -s "$T/out" ] || fail "$1: the client got '$(cat "$T/out")'"
}

start_server echo tcp-server 0 -v

# 1. Access control happens before the backend is dialed.
start_server deny tcp-server 0 --deny 127.0.0.0/8 --forward "127.0.0.1:$echo_PORT"
not_served "--deny" "$deny_PORT"
start_server allow tcp-server 0 --allow 10.0.0.0/8 --forward "127.0.0.1:$echo_PORT"
not_served "--allow elsewhere" "$allow_PORT"
poll_until 5 grep -q '^denied 127\.0\.0\.1:[0-9]*: denied' "$T/deny.err" ||
    fail "--deny: no denied line: $(cat "$T/deny.err")"
poll_until 5 grep -q '^denied 127\.0\.0\.1:[0-9]*: denied' "$T/allow.err" ||
    fail "--allow: no denied line: $(cat "$T/allow.err")"
[ "$(accepted echo)" = 0 ] ||
    fail "a denied peer reached the backend: $(cat "$T/echo.err")"
start_server ok tcp-server 0 --allow 127.0.0.1 --forward "127.0.0.1:$echo_PORT"
served "--allow 127.0.0.1" "$ok_PORT"
[ "$(accepted echo)" = 1 ] || fail "--allow: backend accepted $(accepted echo)"

# 2. Connection limits.  hold NAME PORT: a client that gets an echo
#    through the forwarder, then stays until $T/NAME.go exists.
hold() {
	python3 - "$2" "$T/$1" <<'PY' > "$T/$1.out" 2>&1 &
import os, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
s.sendall(b'hold\n')
got = b''
while len(got) < 5:
    b = s.recv(10)
    if not b:
        sys.exit('hold: closed after %r' % got)
    got += b
open(sys.argv[2] + '.in', 'w').close()
t = time.monotonic() + 30
while not os.path.exists(sys.argv[2] + '.go') and time.monotonic() < t:
    time.sleep(0.02)
PY
	holdpid=$!
	PIDS="$PIDS $holdpid"
	poll_until 10 test -e "$T/$1.in" || fail "$1: $(cat "$T/$1.out")"
}
# limit NAME REASON ARGS...: with ARGS, a second client while one is held
# is refused (logged with REASON) and never reaches the backend; once
# the first has ended, the next client is served.
limit() {
	name=$1 reason=$2
	shift 2
	before=$(accepted echo)
	start_server "$name" tcp-server 0 -v "$@" --forward "127.0.0.1:$echo_PORT"
	eval "port=\$${name}_PORT"
	hold "h$name" "$port"
	not_served "$*" "$port"
	poll_until 5 grep -q "^refused 127\\.0\\.0\\.1:[0-9]*: $reason\$" \
	    "$T/$name.err" || fail "$*: no refused line: $(cat "$T/$name.err")"
	[ "$(accepted echo)" = $((before + 1)) ] ||
	    fail "$*: the refused client reached the backend"
	: > "$T/h$name.go"
	wait_exit "$holdpid" 10
	# The slot frees when the held connection has closed.
	poll_until 5 grep -q '^closed .* in=5 out=5 ' "$T/$name.err" ||
	    fail "$*: the held connection never closed: $(cat "$T/$name.err")"
	served "$*, after the first ended" "$port"
	[ "$(accepted echo)" = $((before + 2)) ] ||
	    fail "$*: the backend accepted $(($(accepted echo) - before)), not 2"
}
limit conns "max-conns 1 reached" --max-conns 1 --on-full refuse
limit perip "max-per-ip 1 reached" --max-per-ip 1

# 3. --idle-timeout 1: the idle connection is closed on both sides.
start_server back tcp-server 0 -v
start_server idle tcp-server 0 --idle-timeout 1 --forward "127.0.0.1:$back_PORT"
python3 - "$idle_PORT" <<'PY' || fail "--idle-timeout"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    return s
busy, idle = conn(), conn()
t0 = time.monotonic()
for i in range(8):              # never idle for 1 s, for 2.4 s
    want = b'tick %d\n' % i
    busy.sendall(want)
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
try:
    b = idle.recv(100)
except ConnectionResetError:
    b = b''
if b:
    sys.exit('idle client got %r' % b)
s = conn()
t0 = time.monotonic()
try:
    b = s.recv(100)
except ConnectionResetError:
    b = b''
took = time.monotonic() - t0
print('--idle-timeout 1: an idle forwarded connection closed after %.2f s' % took)
if b or not 0.8 <= took < 5:
    sys.exit('idle client: %r after %.2f s, expected EOF after about 1 s'
             % (b, took))
PY
two_idle() {
	[ "$(grep -c 'idle timeout' "$T/idle.err")" -eq 2 ]
}
poll_until 5 two_idle || fail "expected two idle timeouts: $(cat "$T/idle.err")"
# The backend saw all three connections end.
three_closed() {
	[ "$(grep -c '^closed ' "$T/back.err")" -eq 3 ]
}
poll_until 5 three_closed ||
    fail "the backend did not see the idle connections end: $(cat "$T/back.err")"

# 4. SIGTERM drain with a forwarded transfer in flight (32 MiB echoed,
#    paused after 4 MiB until the drain has begun).
start_server drain tcp-server 0 -v --drain 30 --forward "127.0.0.1:$echo_PORT"
cat > "$T/xfer.py" <<'PY'
import os, selectors, socket, sys, time
port, started, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = os.urandom(32 << 20)
s = socket.create_connection(('127.0.0.1', port), timeout=10)
s.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
mask_now = selectors.EVENT_READ | selectors.EVENT_WRITE
sent, got = 0, bytearray()
paused = False
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if paused and os.path.exists(go):
        paused = False
    want = (selectors.EVENT_WRITE if sent < len(data) else 0) | \
        (0 if paused else selectors.EVENT_READ)
    if want == 0:
        time.sleep(0.02)
        continue
    if want != mask_now:
        sel.modify(s, want)
        mask_now = want
    ev = sel.select(timeout=0.05)
    mask = ev[0][1] if ev else 0
    if mask & selectors.EVENT_WRITE:
        try:
            sent += s.send(data[sent:sent + (1 << 20)])
        except BlockingIOError:
            pass
        if sent == len(data):
            s.shutdown(socket.SHUT_WR)
    if mask & selectors.EVENT_READ:
        try:
            b = s.recv(1 << 20)
        except BlockingIOError:
            continue
        if not b:
            break
        got += b
        if len(got) >= (4 << 20) and not os.path.exists(started):
            open(started, 'w').write('%d\n' % len(got))
            paused = True
else:
    sys.exit('transfer: timed out after %d of %d bytes' % (len(got), len(data)))
if bytes(got) != data:
    sys.exit('transfer: got %d bytes, sent %d' % (len(got), sent))
print('drain: a forwarded transfer of %d bytes completed exact' % len(got))
PY
python3 "$T/xfer.py" "$drain_PORT" "$T/started" "$T/go" > "$T/xfer.out" 2>&1 &
xfer=$!
PIDS="$PIDS $xfer"
xfer_ready() {
	test -s "$T/started" || ! kill -0 "$xfer" 2>/dev/null
}
poll_until 30 xfer_ready || fail "transfer did not start"
test -s "$T/started" || fail "transfer failed: $(cat "$T/xfer.out")"
kill -TERM "$drain_PID"
poll_until 5 tcp_refused "$drain_PORT" ||
    fail "new connections still accepted after SIGTERM"
running "$drain_PID" ||
    fail "the forwarder exited with a transfer in flight: $(cat "$T/drain.err")"
: > "$T/go"
wait_exit "$xfer" 60
[ "$RC" = 0 ] || fail "$(cat "$T/xfer.out")"
cat "$T/xfer.out"
wait_exit "$drain_PID" 30
[ "$RC" = 0 ] || fail "the forwarder exited $RC after draining: $(cat "$T/drain.err")"
grep -q '^closed 127\.0\.0\.1:[0-9]* in=33554432 out=33554432 ' \
    "$T/drain.err" || fail "no complete closed line: $(cat "$T/drain.err")"

# 5. --once, and --workers 2.
start_server once tcp-server 0 --once --forward "127.0.0.1:$echo_PORT"
served "--once" "$once_PORT"
wait_exit "$once_PID" 10
[ "$RC" = 0 ] || fail "--once exited $RC: $(cat "$T/once.err")"
start_server workers tcp-server 0 --workers 2 --forward "127.0.0.1:$echo_PORT"
for i in 1 2 3 4 5 6; do
	served "--workers 2, client $i" "$workers_PORT"
done
running "$echo_PID" || fail "the backend died"
exit 0
