#!/bin/sh
# SIGTERM drains: the listener closes at once (new connections are
# refused) while a transfer in flight completes byte-exact; then the
# server exits 0.  A second signal during the drain ends the server at
# once, and a drain that cuts connections (second signal, --drain
# timeout, a --stdio transfer) is exit 1, never success.
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

# hold PORT NAME: a client that connects and stays until $T/NAME.go
# appears (at most 30 s); it reports that it got in via $T/NAME.in.
hold() {
	python3 - "$1" "$T/$2" <<'PY' &
import os, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
open(sys.argv[2] + '.in', 'w').close()
t = time.monotonic() + 30
while not os.path.exists(sys.argv[2] + '.go') and time.monotonic() < t:
    time.sleep(0.02)
PY
	PIDS="$PIDS $!"
	poll_until 10 test -e "$T/$2.in" || fail "client $2 did not connect"
}

# 2. A second signal during a 30 s drain: the server ends at once,
#    exit 1, and says how many connections it cut.
start_server two tcp-server 0 --drain 30 -v
hold "$two_PORT" h1
poll_until 10 grep -q '^accepted' "$T/two.err" || fail "no accepted line"
kill -INT "$two_PID"
poll_until 10 grep -q 'draining' "$T/two.err" || fail "no draining line"
grep -q 'draining.*signal again' "$T/two.err" ||
    fail "the draining line does not say a second signal stops: \
$(cat "$T/two.err")"
kill -INT "$two_PID"
wait_exit "$two_PID" 5
[ "$RC" = 1 ] || fail "second signal: exit $RC: $(cat "$T/two.err")"
grep -q '1 connection cut (second signal)' "$T/two.err" ||
    fail "second signal: $(cat "$T/two.err")"
: > "$T/h1.go"

# 3. The drain times out: exit 1.
start_server slow tcp-server 0 --drain 1
hold "$slow_PORT" h2
kill -TERM "$slow_PID"
wait_exit "$slow_PID" 10
[ "$RC" = 1 ] || fail "drain timeout: exit $RC: $(cat "$T/slow.err")"
grep -q '1 connection cut (drain timeout)' "$T/slow.err" ||
    fail "drain timeout: $(cat "$T/slow.err")"
: > "$T/h2.go"

# 4. A --stdio receive cut short by Ctrl-C twice is not a success.
"$SOCKIT" tcp-server 0 --stdio --port-file "$T/st.port" < /dev/null \
    > "$T/st.out" 2> "$T/st.err" &
st=$!
PIDS="$PIDS $st"
poll_until 10 test -s "$T/st.port" || fail "--stdio did not start"
hold "$(cat "$T/st.port")" h3
kill -INT "$st"
poll_until 10 grep -q 'draining' "$T/st.err" || fail "--stdio: no drain"
kill -INT "$st"
wait_exit "$st" 5
[ "$RC" = 1 ] || fail "--stdio cut by two signals exited $RC: $(cat "$T/st.err")"
: > "$T/h3.go"

# 5. A drain in which every connection finishes on its own is exit 0.
start_server ok tcp-server 0 --drain 30
hold "$ok_PORT" h4
kill -TERM "$ok_PID"
poll_until 10 tcp_refused "$ok_PORT" || fail "still accepting after SIGTERM"
: > "$T/h4.go"
wait_exit "$ok_PID" 30
[ "$RC" = 0 ] || fail "clean drain exited $RC: $(cat "$T/ok.err")"
exit 0
