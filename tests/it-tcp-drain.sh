#!/bin/sh
# SIGTERM drains: the listener closes at once (new connections are
# refused) while a transfer in flight completes byte-exact; then the
# server exits 0.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server echo tcp-server 0 --drain 30 -v

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
        time.sleep(0.02)            # paused, all sent: wait for "go"
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
        # 4 MiB in: the transfer is under way; hold it until told to go.
        if len(got) >= (4 << 20) and not os.path.exists(started):
            open(started, 'w').write('%d\n' % len(got))
            paused = True
else:
    sys.exit('transfer: timed out after %d of %d bytes' % (len(got), len(data)))
if bytes(got) != data:
    sys.exit('transfer: got %d bytes, sent %d, equal=False' % (len(got), sent))
print('transfer: %d bytes echoed intact' % len(got))
PY
python3 "$T/xfer.py" "$echo_PORT" "$T/started" "$T/go" > "$T/xfer.out" 2>&1 &
xfer=$!
PIDS="$PIDS $xfer"
await_file "the transfer" 30 "$T/started" "$xfer" "$T/xfer.out"

kill -TERM "$echo_PID"
poll_until 5 tcp_refused "$echo_PORT" || fail "new connections still accepted after SIGTERM"
kill -0 "$echo_PID" 2>/dev/null ||
    fail "server exited with a transfer in flight: $(cat "$T/echo.err")"

: > "$T/go"
wait_exit "$xfer" 60
[ "$RC" = 0 ] || fail "$(cat "$T/xfer.out")"
wait_exit "$echo_PID" 30
[ "$RC" = 0 ] || fail "server exited $RC after draining: $(cat "$T/echo.err")"
grep -q "^closed 127\.0\.0\.1:[0-9]* in=33554432 out=33554432 " \
    "$T/echo.err" || fail "no complete closed line: $(cat "$T/echo.err")"
exit 0
