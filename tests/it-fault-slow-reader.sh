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
	python3 "${SOCKIT_SRCDIR:-.}/tests/hog.py" "$port" "$T/blocked" "$T/done" \
	    >"$T/hog.out" 2>&1 &
	hog=$!
	PIDS="$PIDS $hog"
	await_file "$name: the sender" 90 "$T/blocked" "$hog" "$T/hog.out"

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
