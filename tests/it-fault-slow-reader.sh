#!/bin/sh
# Fault: a client that never reads.  It sends up to 200 MiB to an echo
# server (raw, then line-framed) and reads nothing back: the server must
# stop reading from it (backpressure), so its peak RSS (VmHWM) stays under
# 32 MiB, and other clients are served, byte-exact, while it is stuck.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
LIMIT_KB=32768
# AddressSanitizer keeps freed memory in quarantine and maps shadow
# memory: RSS grows with allocation churn, not with buffered data.  The
# bound stays far below the 200 MiB an unbounded server would buffer.
if grep -q __asan_init "$SOCKIT" 2>/dev/null; then
	LIMIT_KB=98304
fi

cat > "$T/hog.py" <<'PY'
import os, socket, sys, time
port, blocked, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
total = 200 << 20
# 1 MiB of 1 KiB lines: valid input for --frame line as well as raw.
chunk = (b'x' * 1023 + b'\n') * 1024
s = socket.create_connection(('127.0.0.1', port), timeout=10)
s.setblocking(False)
sent, idle_since = 0, None
deadline = time.monotonic() + 60
# Send until the kernel refuses more for a full second (the server has
# stopped reading), or all 200 MiB went out.  Never read anything.
while sent < total and time.monotonic() < deadline:
    try:
        sent += s.send(chunk[: min(len(chunk), total - sent)])
        idle_since = None
    except BlockingIOError:
        now = time.monotonic()
        if idle_since is None:
            idle_since = now
        elif now - idle_since >= 1.0:
            break
        time.sleep(0.01)
print('hog: sent %.1f MiB before blocking' % (sent / 1048576.0))
if sent >= total:
    sys.exit('hog: the server read all 200 MiB from a client that never reads')
if time.monotonic() >= deadline:
    sys.exit('hog: gave up after 60 s without blocking')
open(blocked, 'w').write('%d\n' % sent)
t = time.monotonic() + 60
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.02)
s.close()
PY

# Other clients: 8 at once, each sends 256 KiB of lines and must get the
# same bytes back within 10 s.
cat > "$T/good.py" <<'PY'
import os, socket, sys, threading
port, n = int(sys.argv[1]), 8
errors = []
def one(i):
    data = b''.join(b'%d:%s\n' % (i, os.urandom(600).hex().encode())
                    for _ in range(200))
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        s.close()
        if bytes(got) != data:
            errors.append('client %d: got %d of %d bytes, differ' %
                          (i, len(got), len(data)))
    except Exception as e:
        errors.append('client %d: %r' % (i, e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join(30)
if any(t.is_alive() for t in ts):
    errors.append('a client hung')
if errors:
    sys.exit('; '.join(errors))
print('good: %d clients echoed intact' % n)
PY

hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# scenario NAME SERVER-ARGS...
scenario() {
	name=$1
	shift
	start_server "$name" tcp-server 0 "$@"
	eval "port=\$${name}_PORT pid=\$${name}_PID"
	rm -f "$T/blocked" "$T/done"
	python3 "$T/hog.py" "$port" "$T/blocked" "$T/done" >"$T/hog.out" 2>&1 &
	hog=$!
	PIDS="$PIDS $hog"
	poll_until 90 sh -c "test -s '$T/blocked' || ! kill -0 $hog 2>/dev/null" ||
	    fail "$name: the sender neither blocked nor ended in 90 s"
	test -s "$T/blocked" || fail "$name: $(cat "$T/hog.out")"

	# Served meanwhile: the hog is still connected and stuck.
	python3 "$T/good.py" "$port" >"$T/good.out" 2>&1 &
	good=$!
	PIDS="$PIDS $good"
	wait_exit "$good" 40
	[ "$RC" = 0 ] || fail "$name: other clients not served while the" \
	    "hog is stuck: $(cat "$T/good.out")"
	kill -0 "$hog" 2>/dev/null || fail "$name: the hog ended early"

	hwm=$(hwm_kb "$pid")
	rss=$(rss_kb "$pid")
	[ -n "$hwm" ] && [ "$hwm" -lt "$LIMIT_KB" ] ||
	    fail "$name: server peak RSS ${hwm} KiB (limit $LIMIT_KB KiB)"

	: >"$T/done"
	wait_exit "$hog" 70
	[ "$RC" = 0 ] || fail "$name: $(cat "$T/hog.out")"
	kill -0 "$pid" 2>/dev/null || fail "$name: server died: $(cat "$T/$name.err")"
	echo "$name: $(cat "$T/hog.out"); server RSS ${rss} KiB, peak ${hwm} KiB"
	kill "$pid"
	wait_exit "$pid" 10
}

scenario raw
scenario line --frame line
exit 0
