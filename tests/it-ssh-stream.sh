#!/bin/sh
# ssh-lite exec streams output as it is produced, and 100 MB of output
# pass through a client whose memory stays bounded.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

# Largest VmHWM (peak RSS, KiB) of a process seen until it ends; at most
# SECS seconds.  Sets HWM.
watch_hwm() {
	HWM=0
	tries=$(($2 * 50))
	while [ "$tries" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -n "$h" ] && [ "$h" -gt "$HWM" ] && HWM=$h
		tries=$((tries - 1))
		sleep 0.02
	done
	[ "$tries" -gt 0 ] || fail "process $1 still running after $2 s"
}

# 100 MB of output; the client's pid is written by the shell it becomes.
sh -c 'echo $$ >"$1/client.pid"; shift; exec "$@"' sh "$T" \
    "$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    -- head -c 100000000 /dev/zero </dev/null 2>"$T/client.err" |
    wc -c >"$T/count" &
job=$!
poll_until 10 test -s "$T/client.pid" || fail "client did not start"
cpid=$(cat "$T/client.pid")
watch_hwm "$cpid" 120
wait_exit "$job" 10
[ "$(cat "$T/count")" -eq 100000000 ] ||
    fail "got $(cat "$T/count") bytes of 100000000: $(cat "$T/client.err")"
echo "client peak RSS: $HWM KiB" >&2
[ "$HWM" -gt 0 ] || fail "could not read the client's VmHWM"
[ "$HWM" -lt 32768 ] || fail "client peak RSS $HWM KiB (>= 32 MiB)"
poll_until 5 grep -q 'argv=\[head -c 100000000 /dev/zero\] status=0 ' \
    "$T/srv.err" || fail "no audit line: $(cat "$T/srv.err")"
grep -q 'argv=\[head -c 100000000 /dev/zero\] .* out=100000000$' \
    "$T/srv.err" || fail "audit line does not count 100000000 bytes out"

# Output arrives as it is produced: the first line long before the end.
"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
    -- sh -c 'echo first; sleep 5; echo second' >"$T/s.out" 2>"$T/s.err" &
spid=$!
poll_until 4 grep -q '^first$' "$T/s.out" ||
    fail "first line not there within 4 s: '$(cat "$T/s.out")'"
grep -q second "$T/s.out" && fail "second line came too early"
kill -0 "$spid" 2>/dev/null || fail "client ended early"
wait_exit "$spid" 15
[ "$RC" = 0 ] || fail "streaming client exited $RC: $(cat "$T/s.err")"
[ "$(cat "$T/s.out")" = "first
second" ] || fail "streamed output was '$(cat "$T/s.out")'"
exit 0
