#!/bin/sh
# Fault: out of file descriptors.  A tcp-server under `ulimit -n 64` gets
# 200 clients at once: it must not spin on the listener (its CPU time,
# utime + stime from /proc/PID/stat, stays under 1 s for the whole test),
# must log the condition (accept: Too many open files, pausing), and must
# serve new clients once the 200 are gone.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
NCLIENTS=200
HOLD_SECS=3
CPU_LIMIT_MS=1000

# Start the server by hand: start_server cannot set a limit for it alone.
rm -f "$T/srv.port"
sh -c 'ulimit -n 64 && exec "$0" "$@"' "$SOCKIT" tcp-server 0 \
    --port-file "$T/srv.port" 2>"$T/srv.err" &
srv=$!
PIDS="$PIDS $srv"
poll_until 10 test -s "$T/srv.port" ||
    fail "server did not start: $(cat "$T/srv.err")"
port=$(cat "$T/srv.port")
grep -q '^Max open files *64 ' "/proc/$srv/limits" ||
    fail "the fd limit was not applied: $(grep 'open files' "/proc/$srv/limits")"

tck=$(getconf CLK_TCK) || fail "getconf CLK_TCK"
# cpu_ms PID: user + system CPU time of PID in ms.
cpu_ms() {
	# Fields after the ")" that ends comm: utime is the 12th, stime 13th.
	sed 's/^.*) //' "/proc/$1/stat" |
	    awk -v t="$tck" '{ print int(($12 + $13) * 1000 / t) }'
}

# The flood: 200 connections that each send a line, held open until
# told to close.  The kernel completes every handshake (the backlog is
# the system maximum); the server can accept only ~55 of them.
cat > "$T/flood.py" <<'PY'
import os, socket, sys, time
port, n, held, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks = []
for i in range(n):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(b'flood %d\n' % i)
    socks.append(s)
open(held, 'w').write('%d\n' % len(socks))
t = time.monotonic() + 60
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.02)
for s in socks:
    s.close()
print('flood: %d connections opened and closed' % len(socks))
PY
python3 "$T/flood.py" "$port" "$NCLIENTS" "$T/held" "$T/done" \
    >"$T/flood.out" 2>&1 &
flood=$!
PIDS="$PIDS $flood"
await_file "the flood" 30 "$T/held" "$flood" "$T/flood.out"

emfile_logged() {
	grep -q 'accept.*Too many open files' "$T/srv.err"
}
poll_until 10 emfile_logged ||
    fail "no 'accept: Too many open files' log line: $(head -5 "$T/srv.err")"
grep 'accept.*Too many open files' "$T/srv.err" | grep -qi paus ||
    fail "the EMFILE line does not say the server pauses:" \
	"$(grep -m1 'Too many' "$T/srv.err")"

# Hold the flood for a measured while: a server that spins on a readable
# listener it cannot accept from burns this whole window in CPU.
cpu0=$(cpu_ms "$srv")
i=$((HOLD_SECS * 50))
while [ "$i" -gt 0 ]; do
	kill -0 "$srv" 2>/dev/null || fail "server died: $(tail -3 "$T/srv.err")"
	i=$((i - 1))
	sleep 0.02
done
cpu1=$(cpu_ms "$srv")
lines=$(grep -c 'Too many open files' "$T/srv.err")

: >"$T/done"
wait_exit "$flood" 30
[ "$RC" = 0 ] || fail "flood: $(cat "$T/flood.out")"

# The 200 are gone: a new client is served (bounded retries while the
# server works through the closed connections in its backlog).
printf 'after the flood\n' >"$T/msg"
served() {
	"$SOCKIT" tcp-client -w 2 127.0.0.1 "$port" <"$T/msg" >"$T/out" \
	    2>"$T/err" && cmp -s "$T/msg" "$T/out"
}
poll_until 15 served ||
    fail "no new client served after the flood: $(cat "$T/err")" \
	"$(tail -3 "$T/srv.err")"
cpu2=$(cpu_ms "$srv")
[ "$cpu2" -lt "$CPU_LIMIT_MS" ] ||
    fail "server used ${cpu2} ms of CPU (limit $CPU_LIMIT_MS ms;" \
	"${cpu0}->${cpu1} ms during the ${HOLD_SECS} s hold): it spins"
echo "$(cat "$T/flood.out"); server CPU ${cpu2} ms in all" \
    "($((cpu1 - cpu0)) ms during the ${HOLD_SECS} s hold), $lines EMFILE log lines"
exit 0
