#!/bin/sh
# tcp-server --workers 2: two worker processes share the port
# (SO_REUSEPORT) and serve clients at once; SIGTERM to the parent stops
# both workers, the parent exits 0 and no worker is left behind.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need pgrep

start_server w tcp-server 0 --workers 2 -v

# The supervising parent and its two workers.
workers() {
	pgrep -P "$w_PID" | wc -l
}
poll_until 10 sh -c "[ \$(pgrep -P $w_PID | wc -l) -eq 2 ]" ||
    fail "expected 2 workers under $w_PID, found $(workers)"

# 40 clients at once; each must get its own line back.
i=0
pids=""
while [ "$i" -lt 40 ]; do
	printf 'client %d\n' "$i" |
	    "$SOCKIT" tcp-client 127.0.0.1 "$w_PORT" >"$T/out.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || fail "a client failed"
done
i=0
while [ "$i" -lt 40 ]; do
	[ "$(cat "$T/out.$i")" = "client $i" ] ||
	    fail "client $i got '$(cat "$T/out.$i")'"
	i=$((i + 1))
done

# Every connection was logged by one of the workers.
n=$(grep -c 'accepted' "$T/w.err")
[ "$n" = 40 ] || fail "expected 40 accepted lines, found $n"

kids=$(pgrep -P "$w_PID")
kill -TERM "$w_PID"
wait_exit "$w_PID" 10
[ "$RC" = 0 ] || fail "server exited $RC after SIGTERM, expected 0"
for k in $kids; do
	poll_until 5 sh -c "! kill -0 $k 2>/dev/null" ||
	    fail "worker $k still running after the parent exited"
done
exit 0
